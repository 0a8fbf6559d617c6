"""aistack resources: service quotas and request figures

Revision ID: f2bf23d4be0e
Revises: e1ae12c3ad9d
Create Date: 2026-12-07 05:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f2bf23d4be0e'
down_revision = 'e1ae12c3ad9d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'aistack_resources_quotas',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('service', sa.String(length=64), nullable=False),
        sa.Column('cpu', sa.Float(), nullable=False),
        sa.Column('memory', sa.Integer(), nullable=False),
        sa.Column('updated_by', sa.Uuid(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aistack_resources_quotas')),
        sa.UniqueConstraint('service', name=op.f('uq_aistack_resources_quotas_service')),
    )
    op.create_table(
        'aistack_resources_request_stats',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('system', sa.String(length=32), nullable=False),
        sa.Column('endpoint', sa.String(length=255), nullable=False),
        sa.Column('method', sa.String(length=10), nullable=False),
        sa.Column('bucket', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('errors', sa.Integer(), nullable=False),
        sa.Column('client_errors', sa.Integer(), nullable=False),
        sa.Column('latency_ms', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aistack_resources_request_stats')),
    )
    op.create_index('ix_aistack_resources_request_stats_window_start', 'aistack_resources_request_stats', ['window_start'], unique=False)


def downgrade():
    op.drop_index('ix_aistack_resources_request_stats_window_start', table_name='aistack_resources_request_stats')
    op.drop_table('aistack_resources_request_stats')
    op.drop_table('aistack_resources_quotas')
