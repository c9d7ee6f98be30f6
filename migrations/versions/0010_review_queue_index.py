"""The review queue's index: needs of one status in the order of their submission.

Revision ID: 0010_review_queue_index
Revises: 0009_interests_core
Create Date: 2026-12-01

(status, submitted_at, id, amount) serves WHERE status = ? ORDER BY submitted_at, id LIMIT n
without sorting (PostgreSQL's ascending order puts NULLs last, as the queue does), and the
queue's count and total amount of one status from the index alone.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_review_queue_index"
down_revision = "0009_interests_core"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("financing_need", schema=None) as batch_op:
        batch_op.create_index("ix_financing_need_review", ["status", "submitted_at", "id", "amount"], unique=False)


def downgrade():
    with op.batch_alter_table("financing_need", schema=None) as batch_op:
        batch_op.drop_index("ix_financing_need_review")
