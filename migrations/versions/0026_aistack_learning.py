"""aistack learning: rated interactions and retraining jobs

Revision ID: a3c034e5cf1f
Revises: f2bf23d4be0e
Create Date: 2026-12-07 05:30:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'a3c034e5cf1f'
down_revision = 'f2bf23d4be0e'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def _times():
    return [sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False), sa.Column('created_at', sa.DateTime(timezone=True), nullable=False)]


def upgrade():
    op.create_table(
        'aistack_learning_interaction',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('user_input', sa.Text(), nullable=False),
        sa.Column('system_response', sa.Text(), nullable=False),
        sa.Column('feedback', sa.String(length=16), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('message_id', sa.Uuid(), nullable=True),
        *_times(),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_aistack_learning_interaction_account_id_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aistack_learning_interaction')),
        sa.UniqueConstraint('account_id', 'message_id', name=op.f('uq_aistack_learning_interaction_account_id_message_id')),
    )
    op.create_index(op.f('ix_aistack_learning_interaction_account_id'), 'aistack_learning_interaction', ['account_id'], unique=False)
    op.create_index(op.f('ix_aistack_learning_interaction_created_at'), 'aistack_learning_interaction', ['created_at'], unique=False)

    op.create_table(
        'aistack_learning_retrain_job',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('model_type', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('stage', sa.String(length=32), nullable=False),
        sa.Column('training_examples', sa.Integer(), nullable=False),
        sa.Column('holdout_examples', sa.Integer(), nullable=False),
        sa.Column('dataset_jsonl', sa.Text(), nullable=False),
        sa.Column('improved_prompt', sa.Text(), nullable=False),
        sa.Column('evaluation', JSON, nullable=True),
        sa.Column('fine_tune', JSON, nullable=True),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        *_times(),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_aistack_learning_retrain_job_account_id_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aistack_learning_retrain_job')),
    )
    op.create_index(op.f('ix_aistack_learning_retrain_job_account_id'), 'aistack_learning_retrain_job', ['account_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_aistack_learning_retrain_job_account_id'), table_name='aistack_learning_retrain_job')
    op.drop_table('aistack_learning_retrain_job')
    op.drop_index(op.f('ix_aistack_learning_interaction_created_at'), table_name='aistack_learning_interaction')
    op.drop_index(op.f('ix_aistack_learning_interaction_account_id'), table_name='aistack_learning_interaction')
    op.drop_table('aistack_learning_interaction')
