"""scheduler runs, watch flags, dispatcher lease and one message per trigger on the contact timeline

Revision ID: f8e57a59efb3
Revises: bf9bc1b91de8
Create Date: 2026-11-25 19:47:06.421847

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f8e57a59efb3'
down_revision = 'bf9bc1b91de8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scheduler_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.String(length=100), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.Enum('running', 'success', 'failed', name='scheduler_runs_outcome', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('runner', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduler_runs'))
    )
    with op.batch_alter_table('scheduler_runs', schema=None) as batch_op:
        batch_op.create_index('ix_scheduler_runs_job_started', ['job_id', 'started_at'], unique=False)

    op.create_table('watch_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('subject_table', sa.String(length=64), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('condition', sa.String(length=100), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=True),
    sa.Column('first_flagged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_watch_flags_shop_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watch_flags')),
    sa.UniqueConstraint('shop_id', 'kind', 'subject_table', 'subject_id', 'condition', name='uq_watch_flags_subject_condition')
    )
    with op.batch_alter_table('watch_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_watch_flags_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index('ix_watch_flags_shop_kind_open', ['shop_id', 'kind', 'cleared_at'], unique=False)

    # Plain ADD COLUMN and CREATE INDEX: a batch rebuild on SQLite would reorder ON DELETE actions (see bf9bc1b91de8).
    op.add_column('contact_timeline', sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
    op.add_column('contact_timeline', sa.Column('claimed_by', sa.String(length=100), nullable=True))
    op.create_index('uq_contact_timeline_shop_trigger', 'contact_timeline', ['shop_id', 'automation_trigger_id'], unique=True)



def downgrade():
    op.drop_index('uq_contact_timeline_shop_trigger', table_name='contact_timeline')
    with op.batch_alter_table('contact_timeline', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('claimed_until')

    with op.batch_alter_table('watch_flags', schema=None) as batch_op:
        batch_op.drop_index('ix_watch_flags_shop_kind_open')
        batch_op.drop_index(batch_op.f('ix_watch_flags_shop_id'))

    op.drop_table('watch_flags')
    with op.batch_alter_table('scheduler_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_scheduler_runs_job_started')

    op.drop_table('scheduler_runs')
