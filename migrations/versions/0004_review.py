"""Financing needs keep the values of their last approval and the owner's reply to a return.

approved_values: the need's and its project's reviewed fields at approval time
(app/services/approval.py), so that the reviewer sees what changed since. Needs approved
before this revision have none: they show no difference until their next approval.
owner_reply: the owner's 回复说明 to the reviewer's return comment.

Revision ID: 0004_review
Revises: 0003
Create Date: 2026-12-01

Upgrades and downgrades on SQLite and PostgreSQL.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004_review"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("financing_need", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_reply", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("approved_values", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("financing_need", schema=None) as batch_op:
        batch_op.drop_column("approved_values")
        batch_op.drop_column("owner_reply")
