"""aistack trends: hot-list collections and their topics, reports with their charts

Revision ID: c9ecf0a18b7b
Revises: b8dbef097c6a
Create Date: 2026-12-07 05:50:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'c9ecf0a18b7b'
down_revision = 'b8dbef097c6a'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def _owner(table):
    return [
        sa.Column('account_id', sa.Uuid(), nullable=False),
    ], sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f(f'fk_{table}_account_id_account'), ondelete='CASCADE')


def upgrade():
    columns, owner_fk = _owner('aistack_trends_collection')
    op.create_table(
        'aistack_trends_collection',
        sa.Column('id', sa.Uuid(), nullable=False),
        *columns,
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('topic_count', sa.Integer(), nullable=False),
        sa.Column('collected_at', sa.DateTime(timezone=True), nullable=False),
        owner_fk,
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aistack_trends_collection')),
    )
    op.create_index(op.f('ix_aistack_trends_collection_account_id'), 'aistack_trends_collection', ['account_id'])
    op.create_index(op.f('ix_aistack_trends_collection_collected_at'), 'aistack_trends_collection', ['collected_at'])

    columns, owner_fk = _owner('aistack_trends_topic')
    op.create_table(
        'aistack_trends_topic',
        sa.Column('id', sa.Uuid(), nullable=False),
        *columns,
        sa.Column('collection_id', sa.Uuid(), nullable=False),
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('rank', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=255), nullable=False),
        sa.Column('heat', sa.BigInteger(), nullable=True),
        sa.Column('url', sa.String(length=1024), nullable=False),
        sa.Column('excerpt', sa.Text(), nullable=False),
        sa.Column('extra', JSON, nullable=False),
        sa.Column('collected_at', sa.DateTime(timezone=True), nullable=False),
        owner_fk,
        sa.ForeignKeyConstraint(
            ['collection_id'], ['aistack_trends_collection.id'],
            name=op.f('fk_aistack_trends_topic_collection_id_aistack_trends_collection'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aistack_trends_topic')),
    )
    op.create_index(op.f('ix_aistack_trends_topic_account_id'), 'aistack_trends_topic', ['account_id'])
    op.create_index(op.f('ix_aistack_trends_topic_collection_id'), 'aistack_trends_topic', ['collection_id'])
    op.create_index(op.f('ix_aistack_trends_topic_collected_at'), 'aistack_trends_topic', ['collected_at'])

    columns, owner_fk = _owner('aistack_trends_report')
    op.create_table(
        'aistack_trends_report',
        sa.Column('id', sa.Uuid(), nullable=False),
        *columns,
        sa.Column('topic', sa.String(length=100), nullable=False),
        sa.Column('date_range', sa.String(length=32), nullable=False),
        sa.Column('summary', JSON, nullable=False),
        sa.Column('markdown', sa.Text(), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        owner_fk,
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aistack_trends_report')),
    )
    op.create_index(op.f('ix_aistack_trends_report_account_id'), 'aistack_trends_report', ['account_id'])
    op.create_index(op.f('ix_aistack_trends_report_created_at'), 'aistack_trends_report', ['created_at'])

    columns, owner_fk = _owner('aistack_trends_report_chart')
    op.create_table(
        'aistack_trends_report_chart',
        sa.Column('id', sa.Uuid(), nullable=False),
        *columns,
        sa.Column('report_id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('title', sa.String(length=100), nullable=False),
        sa.Column('png', sa.LargeBinary(), nullable=False),
        owner_fk,
        sa.ForeignKeyConstraint(
            ['report_id'], ['aistack_trends_report.id'],
            name=op.f('fk_aistack_trends_report_chart_report_id_aistack_trends_report'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aistack_trends_report_chart')),
    )
    op.create_index(op.f('ix_aistack_trends_report_chart_account_id'), 'aistack_trends_report_chart', ['account_id'])
    op.create_index(op.f('ix_aistack_trends_report_chart_report_id'), 'aistack_trends_report_chart', ['report_id'])


def downgrade():
    op.drop_table('aistack_trends_report_chart')
    op.drop_table('aistack_trends_report')
    op.drop_table('aistack_trends_topic')
    op.drop_table('aistack_trends_collection')
