"""Maker–checker: a publication request the checker sends back keeps who, when and why.

Revision ID: 0005_mobile
Revises: 0004_review
Create Date: 2026-12-01

Types are written out (sa.DateTime(timezone=True) for the app's UTCDateTime).
Upgrades and downgrades on SQLite and PostgreSQL.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005_mobile"
down_revision = '0004_review'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('edition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_back_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sent_back_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sent_back_note', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_edition_sent_back_by_id_user'), 'user',
                                    ['sent_back_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('edition', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_edition_sent_back_by_id_user'), type_='foreignkey')
        batch_op.drop_column('sent_back_note')
        batch_op.drop_column('sent_back_at')
        batch_op.drop_column('sent_back_by_id')
