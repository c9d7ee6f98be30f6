"""API tokens expire; failed logins are counted per address (lockout without Redis).

Revision ID: 0006_auth
Revises: 0005_mobile
Create Date: 2026-12-01

Tokens that exist at the upgrade get the default lifetime from the day of the upgrade, so
no program stops working without notice. Upgrades and downgrades on SQLite and PostgreSQL.
"""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006_auth"
down_revision = "0005_mobile"
branch_labels = None
depends_on = None

DEFAULT_TOKEN_DAYS = 90


def upgrade():
    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    expires = datetime.now(UTC) + timedelta(days=DEFAULT_TOKEN_DAYS)
    api_token = sa.table('api_token', sa.column('expires_at', sa.DateTime(timezone=True)))
    op.execute(api_token.update().values(expires_at=expires))
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    op.drop_table('login_throttle')
