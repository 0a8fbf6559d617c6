"""aistack tasks: the task agent's tasks and their subtasks (a run's steps)

Revision ID: e1ae12c3ad9d
Revises: d0fd01b29c8c
Create Date: 2026-12-07 05:30:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'e1ae12c3ad9d'
down_revision = 'd0fd01b29c8c'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    op.create_table(
        'aistack_tasks_task',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('priority', sa.String(length=10), nullable=False),
        sa.Column('priority_rank', sa.Integer(), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('run_token', sa.String(length=32), nullable=False),
        sa.Column('result', sa.Text(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_aistack_tasks_task_account_id_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aistack_tasks_task')),
    )
    op.create_index(op.f('ix_aistack_tasks_task_account_id'), 'aistack_tasks_task', ['account_id'], unique=False)
    op.create_index(op.f('ix_aistack_tasks_task_priority'), 'aistack_tasks_task', ['priority'], unique=False)
    op.create_index(op.f('ix_aistack_tasks_task_status'), 'aistack_tasks_task', ['status'], unique=False)

    op.create_table(
        'aistack_tasks_subtask',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('estimated_hours', sa.Float(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('output', sa.Text(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('tool_calls', JSON, nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_aistack_tasks_subtask_account_id_account'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['task_id'], ['aistack_tasks_task.id'], name=op.f('fk_aistack_tasks_subtask_task_id_aistack_tasks_task'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aistack_tasks_subtask')),
    )
    op.create_index(op.f('ix_aistack_tasks_subtask_account_id'), 'aistack_tasks_subtask', ['account_id'], unique=False)
    op.create_index(op.f('ix_aistack_tasks_subtask_task_id'), 'aistack_tasks_subtask', ['task_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_aistack_tasks_subtask_task_id'), table_name='aistack_tasks_subtask')
    op.drop_index(op.f('ix_aistack_tasks_subtask_account_id'), table_name='aistack_tasks_subtask')
    op.drop_table('aistack_tasks_subtask')
    op.drop_index(op.f('ix_aistack_tasks_task_status'), table_name='aistack_tasks_task')
    op.drop_index(op.f('ix_aistack_tasks_task_priority'), table_name='aistack_tasks_task')
    op.drop_index(op.f('ix_aistack_tasks_task_account_id'), table_name='aistack_tasks_task')
    op.drop_table('aistack_tasks_task')
