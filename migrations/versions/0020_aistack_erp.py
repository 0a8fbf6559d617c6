"""aistack erp: customers, products, orders with items and history, production plans, stock
with its ledger, finance reports

Revision ID: a7cadef86b59
Revises: f6a9bcd75e48
Create Date: 2026-12-07 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'a7cadef86b59'
down_revision = 'f6a9bcd75e48'
branch_labels = None
depends_on = None

# Whole cents on SQLite (see internal.aistack.erp.models.Money), NUMERIC(18, 2) on PostgreSQL.
MONEY = sa.Numeric(18, 2)
JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def _id():
    return sa.Column('id', sa.Integer(), autoincrement=True, nullable=False)


def _account():
    return sa.Column('account_id', sa.Uuid(), nullable=False)


def _account_fk(table):
    return sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=f'fk_{table}_account_id', ondelete='CASCADE')


def _account_index(table):
    op.create_index(f'ix_{table}_account_id', table, ['account_id'], unique=False)


def upgrade():
    op.create_table(
        'aistack_erp_customers',
        _id(), _account(),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('contact', sa.String(length=100), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('address', sa.String(length=500), nullable=False),
        sa.Column('level', sa.String(length=20), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        _account_fk('aistack_erp_customers'),
        sa.PrimaryKeyConstraint('id', name='pk_aistack_erp_customers'),
    )
    _account_index('aistack_erp_customers')
    op.create_index('ix_aistack_erp_customers_level', 'aistack_erp_customers', ['level'], unique=False)

    op.create_table(
        'aistack_erp_products',
        _id(), _account(),
        sa.Column('sku', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('unit', sa.String(length=20), nullable=False),
        sa.Column('price', MONEY, nullable=False),
        sa.Column('cost', MONEY, nullable=False),
        sa.Column('low_stock_threshold', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        _account_fk('aistack_erp_products'),
        sa.PrimaryKeyConstraint('id', name='pk_aistack_erp_products'),
        sa.UniqueConstraint('account_id', 'sku', name='uq_aistack_erp_products_account_sku'),
    )
    _account_index('aistack_erp_products')

    op.create_table(
        'aistack_erp_orders',
        _id(), _account(),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('total_amount', MONEY, nullable=False),
        sa.Column('total_cost', MONEY, nullable=False),
        sa.Column('delivery_date', sa.Date(), nullable=True),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('warehouse', sa.String(length=100), nullable=True),
        sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        _account_fk('aistack_erp_orders'),
        sa.ForeignKeyConstraint(['customer_id'], ['aistack_erp_customers.id'],
                                name='fk_aistack_erp_orders_customer_id'),
        sa.PrimaryKeyConstraint('id', name='pk_aistack_erp_orders'),
    )
    _account_index('aistack_erp_orders')
    for column in ('customer_id', 'status', 'delivered_at', 'created_at'):
        op.create_index(f'ix_aistack_erp_orders_{column}', 'aistack_erp_orders', [column], unique=False)

    op.create_table(
        'aistack_erp_order_items',
        _id(),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('unit_price', MONEY, nullable=False),
        sa.Column('unit_cost', MONEY, nullable=False),
        sa.Column('line_total', MONEY, nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['aistack_erp_orders.id'],
                                name='fk_aistack_erp_order_items_order_id', ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['product_id'], ['aistack_erp_products.id'],
                                name='fk_aistack_erp_order_items_product_id'),
        sa.PrimaryKeyConstraint('id', name='pk_aistack_erp_order_items'),
    )
    op.create_index('ix_aistack_erp_order_items_order_id', 'aistack_erp_order_items', ['order_id'], unique=False)
    op.create_index('ix_aistack_erp_order_items_product_id', 'aistack_erp_order_items', ['product_id'], unique=False)

    op.create_table(
        'aistack_erp_order_history',
        _id(),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('from_status', sa.String(length=20), nullable=True),
        sa.Column('to_status', sa.String(length=20), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['aistack_erp_orders.id'],
                                name='fk_aistack_erp_order_history_order_id', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_aistack_erp_order_history'),
    )
    op.create_index('ix_aistack_erp_order_history_order_id', 'aistack_erp_order_history', ['order_id'], unique=False)

    op.create_table(
        'aistack_erp_production_plans',
        _id(), _account(),
        sa.Column('order_id', sa.Integer(), nullable=True),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('completed_quantity', sa.Integer(), nullable=False),
        sa.Column('current_stage', sa.String(length=100), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('warehouse', sa.String(length=100), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('end_date', sa.Date(), nullable=False),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('completed_quantity >= 0 AND completed_quantity <= quantity',
                           name='ck_aistack_erp_production_plans_progress_within_quantity'),
        _account_fk('aistack_erp_production_plans'),
        sa.ForeignKeyConstraint(['order_id'], ['aistack_erp_orders.id'],
                                name='fk_aistack_erp_production_plans_order_id'),
        sa.ForeignKeyConstraint(['product_id'], ['aistack_erp_products.id'],
                                name='fk_aistack_erp_production_plans_product_id'),
        sa.PrimaryKeyConstraint('id', name='pk_aistack_erp_production_plans'),
    )
    _account_index('aistack_erp_production_plans')
    for column in ('order_id', 'product_id', 'status'):
        op.create_index(f'ix_aistack_erp_production_plans_{column}', 'aistack_erp_production_plans', [column], unique=False)

    op.create_table(
        'aistack_erp_stock',
        _id(), _account(),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('warehouse', sa.String(length=100), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('quantity >= 0', name='ck_aistack_erp_stock_quantity_not_negative'),
        _account_fk('aistack_erp_stock'),
        sa.ForeignKeyConstraint(['product_id'], ['aistack_erp_products.id'],
                                name='fk_aistack_erp_stock_product_id'),
        sa.PrimaryKeyConstraint('id', name='pk_aistack_erp_stock'),
        sa.UniqueConstraint('product_id', 'warehouse', name='uq_aistack_erp_stock_product_warehouse'),
    )
    _account_index('aistack_erp_stock')
    op.create_index('ix_aistack_erp_stock_product_id', 'aistack_erp_stock', ['product_id'], unique=False)

    op.create_table(
        'aistack_erp_stock_movements',
        _id(), _account(),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('warehouse', sa.String(length=100), nullable=False),
        sa.Column('change', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('balance_after', sa.Integer(), nullable=False),
        sa.Column('batch_number', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=True),
        sa.Column('plan_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        _account_fk('aistack_erp_stock_movements'),
        sa.ForeignKeyConstraint(['product_id'], ['aistack_erp_products.id'],
                                name='fk_aistack_erp_stock_movements_product_id'),
        sa.ForeignKeyConstraint(['order_id'], ['aistack_erp_orders.id'],
                                name='fk_aistack_erp_stock_movements_order_id'),
        sa.ForeignKeyConstraint(['plan_id'], ['aistack_erp_production_plans.id'],
                                name='fk_aistack_erp_stock_movements_plan_id'),
        sa.PrimaryKeyConstraint('id', name='pk_aistack_erp_stock_movements'),
    )
    _account_index('aistack_erp_stock_movements')
    op.create_index('ix_aistack_erp_stock_movements_product_id', 'aistack_erp_stock_movements', ['product_id'], unique=False)
    op.create_index('ix_aistack_erp_stock_movements_created_at', 'aistack_erp_stock_movements', ['created_at'], unique=False)

    op.create_table(
        'aistack_erp_finance_reports',
        _id(), _account(),
        sa.Column('type', sa.String(length=20), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('end_date', sa.Date(), nullable=False),
        sa.Column('lines', JSON, nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        _account_fk('aistack_erp_finance_reports'),
        sa.PrimaryKeyConstraint('id', name='pk_aistack_erp_finance_reports'),
    )
    _account_index('aistack_erp_finance_reports')


def downgrade():
    for table in ('aistack_erp_finance_reports', 'aistack_erp_stock_movements', 'aistack_erp_stock',
                  'aistack_erp_production_plans', 'aistack_erp_order_history', 'aistack_erp_order_items',
                  'aistack_erp_orders', 'aistack_erp_products', 'aistack_erp_customers'):
        op.drop_table(table)
