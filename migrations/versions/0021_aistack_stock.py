"""aistack stock: paper accounts, positions, orders, the trade ledger and strategies

Revision ID: b8dbef097c6a
Revises: a7cadef86b59
Create Date: 2026-12-07 05:00:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'b8dbef097c6a'
down_revision = 'a7cadef86b59'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(18, 2)
PRICE = sa.Numeric(12, 2)


def _owner():
    return sa.Column('account_id', sa.Uuid(), nullable=False)


def _times():
    return [sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False), sa.Column('created_at', sa.DateTime(timezone=True), nullable=False)]


def upgrade():
    op.create_table(
        'aistack_stock_account',
        sa.Column('id', sa.Uuid(), nullable=False),
        _owner(),
        sa.Column('initial_cash', MONEY, nullable=False),
        sa.Column('cash', MONEY, nullable=False),
        sa.Column('frozen_cash', MONEY, nullable=False),
        sa.Column('opened_on', sa.Date(), nullable=False),
        *_times(),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_aistack_stock_account_account_id_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aistack_stock_account')),
    )
    op.create_index(op.f('ix_aistack_stock_account_account_id'), 'aistack_stock_account', ['account_id'], unique=True)

    op.create_table(
        'aistack_stock_position',
        sa.Column('id', sa.Uuid(), nullable=False),
        _owner(),
        sa.Column('symbol', sa.String(length=6), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('frozen_quantity', sa.Integer(), nullable=False),
        sa.Column('bought_today', sa.Integer(), nullable=False),
        sa.Column('bought_on', sa.Date(), nullable=True),
        sa.Column('cost_total', MONEY, nullable=False),
        *_times(),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_aistack_stock_position_account_id_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aistack_stock_position')),
        sa.UniqueConstraint('account_id', 'symbol', name=op.f('uq_aistack_stock_position_account_id_symbol')),
    )
    op.create_index(op.f('ix_aistack_stock_position_account_id'), 'aistack_stock_position', ['account_id'], unique=False)

    op.create_table(
        'aistack_stock_order',
        sa.Column('id', sa.Uuid(), nullable=False),
        _owner(),
        sa.Column('symbol', sa.String(length=6), nullable=False),
        sa.Column('action', sa.String(length=8), nullable=False),
        sa.Column('order_type', sa.String(length=8), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('price', PRICE, nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('frozen_cash', MONEY, nullable=False),
        sa.Column('filled_price', PRICE, nullable=True),
        sa.Column('fees', MONEY, nullable=False),
        sa.Column('reason', sa.String(length=255), nullable=False),
        sa.Column('filled_at', sa.DateTime(timezone=True), nullable=True),
        *_times(),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_aistack_stock_order_account_id_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aistack_stock_order')),
    )
    for column in ('account_id', 'symbol', 'status', 'created_at'):
        op.create_index(op.f(f'ix_aistack_stock_order_{column}'), 'aistack_stock_order', [column], unique=False)

    op.create_table(
        'aistack_stock_trade',
        sa.Column('id', sa.Uuid(), nullable=False),
        _owner(),
        sa.Column('order_id', sa.Uuid(), nullable=False),
        sa.Column('symbol', sa.String(length=6), nullable=False),
        sa.Column('action', sa.String(length=8), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('price', PRICE, nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('commission', MONEY, nullable=False),
        sa.Column('stamp_duty', MONEY, nullable=False),
        sa.Column('transfer_fee', MONEY, nullable=False),
        sa.Column('cash_change', MONEY, nullable=False),
        sa.Column('trade_date', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_aistack_stock_trade_account_id_account'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['order_id'], ['aistack_stock_order.id'], name=op.f('fk_aistack_stock_trade_order_id_aistack_stock_order'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aistack_stock_trade')),
        sa.UniqueConstraint('order_id', name=op.f('uq_aistack_stock_trade_order_id')),
    )
    op.create_index(op.f('ix_aistack_stock_trade_account_id'), 'aistack_stock_trade', ['account_id'], unique=False)

    op.create_table(
        'aistack_stock_strategy',
        sa.Column('id', sa.Uuid(), nullable=False),
        _owner(),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('strategy_type', sa.String(length=32), nullable=False),
        sa.Column('symbol', sa.String(length=6), nullable=False),
        sa.Column('parameters', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
        *_times(),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_aistack_stock_strategy_account_id_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aistack_stock_strategy')),
    )
    for column in ('account_id', 'created_at'):
        op.create_index(op.f(f'ix_aistack_stock_strategy_{column}'), 'aistack_stock_strategy', [column], unique=False)


def downgrade():
    for table in ('aistack_stock_strategy', 'aistack_stock_trade', 'aistack_stock_order', 'aistack_stock_position', 'aistack_stock_account'):
        op.drop_table(table)
