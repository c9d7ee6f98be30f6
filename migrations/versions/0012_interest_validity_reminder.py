"""Interests remember when their institution was reminded that the offer's validity ends.

Revision ID: 0012_interest_validity_reminder
Revises: 0011_interest_pipeline_index
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

from app.models.base import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0012_interest_validity_reminder"
down_revision = "0011_interest_pipeline_index"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("interest", schema=None) as batch_op:
        batch_op.add_column(sa.Column("validity_reminded_at", UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("interest", schema=None) as batch_op:
        batch_op.drop_column("validity_reminded_at")
