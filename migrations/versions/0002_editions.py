"""List editions (清单期次): edition, edition_item, edition_item_instrument, edition_file,
saved_search.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

Types are written out (sa.DateTime(timezone=True) for the app's UTCDateTime): a migration
must not change when the app's code does. Upgrades and downgrades on SQLite and PostgreSQL.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('edition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', 'superseded', name='editionstatus', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('correction_note', sa.Text(), nullable=True),
    sa.Column('previous_id', sa.Integer(), nullable=True),
    sa.Column('sort_order', sa.String(length=20), nullable=False),
    sa.Column('compiled_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('changelog', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('period BETWEEN 1 AND 6', name=op.f('ck_edition_period_range')),
    sa.CheckConstraint('revision >= 1', name=op.f('ck_edition_revision_positive')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user.id'], name=op.f('fk_edition_approved_by_id_user')),
    sa.ForeignKeyConstraint(['compiled_by_id'], ['user.id'], name=op.f('fk_edition_compiled_by_id_user')),
    sa.ForeignKeyConstraint(['previous_id'], ['edition.id'], name=op.f('fk_edition_previous_id_edition')),
    sa.ForeignKeyConstraint(['published_by_id'], ['user.id'], name=op.f('fk_edition_published_by_id_user')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_edition_requested_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_edition')),
    sa.UniqueConstraint('year', 'period', 'revision', name='uq_edition_year_period_revision')
    )
    with op.batch_alter_table('edition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_edition_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_edition_year'), ['year'], unique=False)

    op.create_table('saved_search',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_saved_search_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_search'))
    )
    with op.batch_alter_table('saved_search', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_search_user_id'), ['user_id'], unique=False)

    op.create_table('edition_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['edition_id'], ['edition.id'], name=op.f('fk_edition_file_edition_id_edition'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_edition_file')),
    sa.UniqueConstraint('edition_id', 'format', name='uq_edition_file_edition_format')
    )
    with op.batch_alter_table('edition_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_edition_file_edition_id'), ['edition_id'], unique=False)

    op.create_table('edition_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('marker', sa.Enum('new', 'carried', name='itemmarker', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('justifications', sa.JSON(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=True),
    sa.Column('district_code', sa.String(length=12), nullable=True),
    sa.Column('category', sa.String(length=24), nullable=True),
    sa.Column('industry_code', sa.String(length=4), nullable=True),
    sa.Column('level', sa.String(length=24), nullable=True),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['edition_id'], ['edition.id'], name=op.f('fk_edition_item_edition_id_edition'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['need_id'], ['financing_need.id'], name=op.f('fk_edition_item_need_id_financing_need')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_edition_item')),
    sa.UniqueConstraint('edition_id', 'need_id', name='uq_edition_item_edition_need')
    )
    with op.batch_alter_table('edition_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_edition_item_amount'), ['amount'], unique=False)
        batch_op.create_index(batch_op.f('ix_edition_item_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_edition_item_district_code'), ['district_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_edition_item_edition_id'), ['edition_id'], unique=False)
        batch_op.create_index('ix_edition_item_edition_seq', ['edition_id', 'seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_edition_item_industry_code'), ['industry_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_edition_item_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_edition_item_marker'), ['marker'], unique=False)
        batch_op.create_index(batch_op.f('ix_edition_item_need_id'), ['need_id'], unique=False)

    op.create_table('edition_item_instrument',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('instrument', sa.Enum('project_loan', 'working_capital_loan', 'syndicated_loan', 'bond', 'insurance_debt_plan', 'equity', 'financial_leasing', 'abs_reits', 'industry_fund', name='instrument', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['edition_item.id'], name=op.f('fk_edition_item_instrument_item_id_edition_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', 'instrument', name=op.f('pk_edition_item_instrument'))
    )
    with op.batch_alter_table('edition_item_instrument', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_edition_item_instrument_instrument'), ['instrument'], unique=False)



def downgrade():
    with op.batch_alter_table('edition_item_instrument', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_edition_item_instrument_instrument'))

    op.drop_table('edition_item_instrument')
    with op.batch_alter_table('edition_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_edition_item_need_id'))
        batch_op.drop_index(batch_op.f('ix_edition_item_marker'))
        batch_op.drop_index(batch_op.f('ix_edition_item_level'))
        batch_op.drop_index(batch_op.f('ix_edition_item_industry_code'))
        batch_op.drop_index('ix_edition_item_edition_seq')
        batch_op.drop_index(batch_op.f('ix_edition_item_edition_id'))
        batch_op.drop_index(batch_op.f('ix_edition_item_district_code'))
        batch_op.drop_index(batch_op.f('ix_edition_item_category'))
        batch_op.drop_index(batch_op.f('ix_edition_item_amount'))

    op.drop_table('edition_item')
    with op.batch_alter_table('edition_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_edition_file_edition_id'))

    op.drop_table('edition_file')
    with op.batch_alter_table('saved_search', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_search_user_id'))

    op.drop_table('saved_search')
    with op.batch_alter_table('edition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_edition_year'))
        batch_op.drop_index(batch_op.f('ix_edition_status'))

    op.drop_table('edition')
