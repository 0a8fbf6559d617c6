"""analysis rollups: an app's messages summed by day, and the callers and conversations seen with
the days they were seen on lately, written with each message; the message index the page read goes

Revision ID: a1c4e7f20b93
Revises: f6b2d8e4a1c7
Create Date: 2026-12-07 04:30:00.000000

"""
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa
from flask import current_app


# revision identifiers, used by Alembic.
revision = 'a1c4e7f20b93'
down_revision = 'f6b2d8e4a1c7'
branch_labels = None
depends_on = None

ANALYSIS_INDEX = ['app_id', 'created_at', 'created_by', 'conversation_id', 'answer_token_count', 'latency', 'total_price']


def upgrade():
    op.create_table(
        'app_daily_stat',
        sa.Column('app_id', sa.Uuid(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('messages', sa.Integer(), nullable=False),
        sa.Column('callers', sa.Integer(), nullable=False),
        sa.Column('conversations', sa.Integer(), nullable=False),
        sa.Column('answer_tokens', sa.BigInteger(), nullable=False),
        sa.Column('answer_latency', sa.Float(), nullable=False),
        sa.Column('cost', sa.Numeric(precision=18, scale=7, asdecimal=False), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['app.id'], name=op.f('fk_app_daily_stat_app_id_app'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'day', name=op.f('pk_app_daily_stat')),
    )
    op.create_table(
        'app_seen_id',
        sa.Column('app_id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('seen_id', sa.Uuid(), nullable=False),
        sa.Column('last_day', sa.Integer(), nullable=False),
        sa.Column('recent_days', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['app.id'], name=op.f('fk_app_seen_id_app_id_app'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('app_id', 'kind', 'seen_id', name=op.f('pk_app_seen_id')),
    )
    with op.batch_alter_table('app_seen_id', schema=None) as batch_op:
        batch_op.create_index('ix_app_seen_id_last_day', ['app_id', 'kind', 'last_day', 'recent_days'], unique=False)
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_analysis')
    _backfill()


def _backfill():
    """Every app's messages so far, by day in the configured zone (nothing to do on a new
    database). The application's own rebuild, as `flask analysis rebuild` runs it."""
    from config import Settings
    from internal.service.analysis_rollup import analysed_app_ids, rebuild_app_rollups

    connection = op.get_bind()
    app_ids = analysed_app_ids(connection)
    if app_ids:
        zone = ZoneInfo(current_app.extensions['injector'].get(Settings).analysis.analysis_timezone)
        for app_id in app_ids:
            rebuild_app_rollups(connection, app_id, zone)


def downgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index('ix_message_analysis', ANALYSIS_INDEX, unique=False)
    op.drop_table('app_seen_id')
    op.drop_table('app_daily_stat')
