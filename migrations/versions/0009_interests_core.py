"""Financing needs: the owner's confirmation that disbursements may exceed the amount sought.

Revision ID: 0009_interests_core
Revises: 0008_interests
Create Date: 2026-12-01

Upgrades and downgrades on SQLite and PostgreSQL.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009_interests_core'
down_revision = '0008_interests'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('financing_need', schema=None) as batch_op:
        batch_op.add_column(sa.Column('overfunding_confirmed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('financing_need', schema=None) as batch_op:
        batch_op.drop_column('overfunding_confirmed_at')
