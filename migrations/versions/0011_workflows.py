"""Workflows: workflow (draft and published graphs), workflow_run and workflow_node_run

Revision ID: d3f8a1c6b2e0
Revises: c5e1a9d47b20
Create Date: 2026-12-07 01:40:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'd3f8a1c6b2e0'
down_revision = 'c5e1a9d47b20'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade():
    op.create_table(
        'workflow',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('tool_call_name', sa.String(length=255), nullable=False),
        sa.Column('icon', sa.String(length=2048), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('draft_graph', JSON, nullable=False),
        sa.Column('graph', JSON, nullable=False),
        sa.Column('is_debug_passed', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'tool_call_name'),
    )
    op.create_index('ix_workflow_account_id_created_at', 'workflow', ['account_id', 'created_at'])
    op.create_table(
        'workflow_run',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('workflow_id', sa.Uuid(), nullable=False),
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('invoke_from', sa.String(length=32), nullable=False),
        sa.Column('graph', JSON, nullable=False),
        sa.Column('inputs', JSON, nullable=False),
        sa.Column('outputs', JSON, nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('latency', sa.Float(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['workflow_id'], ['workflow.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_workflow_run_workflow_id_created_at', 'workflow_run', ['workflow_id', 'created_at'])
    op.create_table(
        'workflow_node_run',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('run_id', sa.Uuid(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('node_id', sa.String(length=64), nullable=False),
        sa.Column('node_type', sa.String(length=32), nullable=False),
        sa.Column('title', sa.String(length=255), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('inputs', JSON, nullable=False),
        sa.Column('outputs', JSON, nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('latency', sa.Float(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['workflow_run.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_workflow_node_run_run_id_position', 'workflow_node_run', ['run_id', 'position'])


def downgrade():
    op.drop_index('ix_workflow_node_run_run_id_position', table_name='workflow_node_run')
    op.drop_table('workflow_node_run')
    op.drop_index('ix_workflow_run_workflow_id_created_at', table_name='workflow_run')
    op.drop_table('workflow_run')
    op.drop_index('ix_workflow_account_id_created_at', table_name='workflow')
    op.drop_table('workflow')
