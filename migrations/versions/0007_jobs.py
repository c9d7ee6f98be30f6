"""Background jobs: the job table; editions know when their files are ready.

Revision ID: 0007_jobs
Revises: 0006_auth
Create Date: 2026-12-01

Editions published before this revision had their files made at publication: their
files_ready_at is their publication time. Upgrades and downgrades on SQLite and PostgreSQL.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007_jobs"
down_revision = "0006_auth"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='jobstatus', native_enum=False,
                                length=24, create_constraint=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index('ix_job_status_created', ['status', 'created_at'], unique=False)
    with op.batch_alter_table('edition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('files_ready_at', sa.DateTime(timezone=True), nullable=True))
    edition = sa.table('edition', sa.column('published_at', sa.DateTime(timezone=True)),
                       sa.column('files_ready_at', sa.DateTime(timezone=True)))
    op.execute(edition.update().where(edition.c.published_at.is_not(None))
               .values(files_ready_at=edition.c.published_at))


def downgrade():
    with op.batch_alter_table('edition', schema=None) as batch_op:
        batch_op.drop_column('files_ready_at')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('ix_job_status_created')
    op.drop_table('job')
