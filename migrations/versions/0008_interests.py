"""Interests: follows, interests and their disbursements, conversations (messages, whose
files are attachments), preference profiles and invitations.

Revision ID: 0008_interests
Revises: 0007_jobs
Create Date: 2026-12-01

An attachment now belongs to exactly one of a project, a need or a message. A downgrade
deletes the attachments of messages (their table goes) before restoring the old rule.
Upgrades and downgrades on SQLite and PostgreSQL.
"""
import sqlalchemy as sa
from alembic import op

OLD_PARENT_RULE = "(project_id IS NULL) <> (need_id IS NULL)"
NEW_PARENT_RULE = ("(CASE WHEN project_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN need_id IS NULL "
                   "THEN 0 ELSE 1 END) + (CASE WHEN message_id IS NULL THEN 0 ELSE 1 END) = 1")


# revision identifiers, used by Alembic.
revision = '0008_interests'
down_revision = '0007_jobs'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('preference_profile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('industries', sa.JSON(), nullable=False),
    sa.Column('districts', sa.JSON(), nullable=False),
    sa.Column('instruments', sa.JSON(), nullable=False),
    sa.Column('levels', sa.JSON(), nullable=False),
    sa.Column('amount_min', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('amount_max', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('term_min', sa.Integer(), nullable=True),
    sa.Column('term_max', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_preference_profile_org_id_organization')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_preference_profile_updated_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_preference_profile')),
    sa.UniqueConstraint('org_id', name=op.f('uq_preference_profile_org_id'))
    )
    op.create_table('follow',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['financing_need.id'], name=op.f('fk_follow_need_id_financing_need')),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_follow_org_id_organization')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_follow_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow')),
    sa.UniqueConstraint('need_id', 'user_id', name=op.f('uq_follow_need_id'))
    )
    with op.batch_alter_table('follow', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_user_id'), ['user_id'], unique=False)

    op.create_table('interest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'contacted', 'due_diligence', 'approved', 'funded', 'declined', 'withdrawn', 'rejected', name='intereststatus', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('instrument', sa.Enum('project_loan', 'working_capital_loan', 'syndicated_loan', 'bond', 'insurance_debt_plan', 'equity', 'financial_leasing', 'abs_reits', 'industry_fund', name='instrument', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('product_name', sa.String(length=120), nullable=True),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('rate', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('term_months', sa.Integer(), nullable=True),
    sa.Column('conditions', sa.Text(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('credit_amount', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('credit_date', sa.Date(), nullable=True),
    sa.Column('credit_conditions', sa.Text(), nullable=True),
    sa.Column('disbursed_amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('rejection_reason', sa.Enum('capital', 'cash_flow', 'permits', 'enhancement', 'credit_policy', 'other', name='rejectionreason', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('rejection_note', sa.Text(), nullable=True),
    sa.Column('withdrawal_note', sa.Text(), nullable=True),
    sa.Column('reconfirm_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('owner_read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('institution_read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('contacted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_diligence_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('funded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_interest_amount_positive')),
    sa.CheckConstraint('disbursed_amount >= 0', name=op.f('ck_interest_disbursed_not_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_interest_created_by_id_user')),
    sa.ForeignKeyConstraint(['need_id'], ['financing_need.id'], name=op.f('fk_interest_need_id_financing_need')),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_interest_org_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interest'))
    )
    with op.batch_alter_table('interest', schema=None) as batch_op:
        batch_op.create_index('ix_interest_need_status', ['need_id', 'status'], unique=False)
        batch_op.create_index('ix_interest_org_status', ['org_id', 'status', 'updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_interest_status'), ['status'], unique=False)
        batch_op.create_index('uq_interest_live', ['need_id', 'org_id'], unique=True, sqlite_where=sa.text("status IN ('submitted', 'contacted', 'due_diligence', 'approved', 'funded')"), postgresql_where=sa.text("status IN ('submitted', 'contacted', 'due_diligence', 'approved', 'funded')"))

    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user.id'], name=op.f('fk_invitation_invited_by_id_user')),
    sa.ForeignKeyConstraint(['need_id'], ['financing_need.id'], name=op.f('fk_invitation_need_id_financing_need')),
    sa.ForeignKeyConstraint(['org_id'], ['organization.id'], name=op.f('fk_invitation_org_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
    sa.UniqueConstraint('need_id', 'org_id', name=op.f('uq_invitation_need_id'))
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_org_id'), ['org_id'], unique=False)

    op.create_table('disbursement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interest_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('disbursed_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_disbursement_amount_positive')),
    sa.ForeignKeyConstraint(['interest_id'], ['interest.id'], name=op.f('fk_disbursement_interest_id_interest'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_disbursement_recorded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disbursement'))
    )
    with op.batch_alter_table('disbursement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disbursement_disbursed_on'), ['disbursed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_disbursement_interest_id'), ['interest_id'], unique=False)

    op.create_table('interest_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interest_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('side', sa.Enum('owner', 'institution', name='messageside', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_interest_message_author_id_user')),
    sa.ForeignKeyConstraint(['interest_id'], ['interest.id'], name=op.f('fk_interest_message_interest_id_interest'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interest_message'))
    )
    with op.batch_alter_table('interest_message', schema=None) as batch_op:
        batch_op.create_index('ix_interest_message_thread', ['interest_id', 'created_at'], unique=False)

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_attachment_message_id'), ['message_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_attachment_message_id_interest_message'), 'interest_message', ['message_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attachment_one_parent'), type_='check')
        batch_op.create_check_constraint('one_parent', sa.text(NEW_PARENT_RULE))



def downgrade():
    op.execute("DELETE FROM attachment WHERE message_id IS NOT NULL")
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attachment_one_parent'), type_='check')
        batch_op.create_check_constraint('one_parent', sa.text(OLD_PARENT_RULE))
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attachment_message_id_interest_message'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_attachment_message_id'))
        batch_op.drop_column('message_id')

    with op.batch_alter_table('interest_message', schema=None) as batch_op:
        batch_op.drop_index('ix_interest_message_thread')

    op.drop_table('interest_message')
    with op.batch_alter_table('disbursement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disbursement_interest_id'))
        batch_op.drop_index(batch_op.f('ix_disbursement_disbursed_on'))

    op.drop_table('disbursement')
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_org_id'))
        batch_op.drop_index(batch_op.f('ix_invitation_need_id'))

    op.drop_table('invitation')
    with op.batch_alter_table('interest', schema=None) as batch_op:
        batch_op.drop_index('uq_interest_live', sqlite_where=sa.text("status IN ('submitted', 'contacted', 'due_diligence', 'approved', 'funded')"), postgresql_where=sa.text("status IN ('submitted', 'contacted', 'due_diligence', 'approved', 'funded')"))
        batch_op.drop_index(batch_op.f('ix_interest_status'))
        batch_op.drop_index('ix_interest_org_status')
        batch_op.drop_index('ix_interest_need_status')

    op.drop_table('interest')
    with op.batch_alter_table('follow', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_user_id'))
        batch_op.drop_index(batch_op.f('ix_follow_org_id'))
        batch_op.drop_index(batch_op.f('ix_follow_need_id'))

    op.drop_table('follow')
    op.drop_table('preference_profile')
