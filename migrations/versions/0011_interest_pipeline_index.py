"""An institution's pipeline in the order it is listed: its interests, last changed first.

Revision ID: 0011_interest_pipeline_index
Revises: 0010_review_queue_index
Create Date: 2026-12-01

(org_id, updated_at, id) serves 我的融资意向 (/interests/: WHERE org_id = ? ORDER BY
updated_at DESC, id DESC LIMIT n) by reading the index backwards, without loading and
sorting every interest of the institution (ix_interest_org_status leads with the status).
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_interest_pipeline_index"
down_revision = "0010_review_queue_index"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("interest", schema=None) as batch_op:
        batch_op.create_index("ix_interest_org_updated", ["org_id", "updated_at", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("interest", schema=None) as batch_op:
        batch_op.drop_index("ix_interest_org_updated")
