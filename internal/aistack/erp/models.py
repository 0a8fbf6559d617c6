"""The ERP's tables: customers, products, orders with their items and status history,
production plans, stock per product and warehouse with its ledger, and saved finance reports.
Money is Numeric(18, 2) and never passes through a float; stock counts are whole units."""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from internal.extension.database import JSONType, UTCDateTime, db, utcnow

CENT = Decimal("0.01")


class Money(TypeDecorator):
    """An amount of yuan with two decimals: NUMERIC(18, 2) on PostgreSQL; on SQLite, which has
    no decimal type (it would keep a binary float), whole cents in the same NUMERIC column, so
    sums and comparisons stay exact there too."""

    impl = Numeric(18, 2, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(18, 2, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value)
        if value != value.quantize(CENT):
            raise ValueError(f"{value} has more than two decimals")
        return int(value.scaleb(2)) if dialect.name == "sqlite" else value.quantize(CENT)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-2).quantize(CENT)
        return Decimal(value).quantize(CENT)


MONEY = Money()


def _account_id() -> Mapped[uuid.UUID]:
    return mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)


class ErpCustomer(db.Model):
    __tablename__ = "aistack_erp_customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = _account_id()
    name: Mapped[str] = mapped_column(String(100))
    contact: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    level: Mapped[str] = mapped_column(String(20), default="normal", index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Deleted customers keep their closed orders' history; lists and look-ups skip them.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ErpProduct(db.Model):
    __tablename__ = "aistack_erp_products"
    __table_args__ = (UniqueConstraint("account_id", "sku", name="uq_aistack_erp_products_account_sku"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = _account_id()
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20), default="件")
    price: Mapped[Decimal] = mapped_column(MONEY)
    cost: Mapped[Decimal] = mapped_column(MONEY)
    # None: the default threshold of the settings (AISTACK_ERP_LOW_STOCK_THRESHOLD).
    low_stock_threshold: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ErpOrder(db.Model):
    __tablename__ = "aistack_erp_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = _account_id()
    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("aistack_erp_customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    total_amount: Mapped[Decimal] = mapped_column(MONEY)
    # The goods' cost when the order was taken (product cost × quantity), for the books.
    total_cost: Mapped[Decimal] = mapped_column(MONEY)
    delivery_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    # Where shipping took the goods from (set when shipped).
    warehouse: Mapped[str | None] = mapped_column(String(100), nullable=True)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list["ErpOrderItem"]] = relationship(order_by="ErpOrderItem.id", lazy="selectin")
    history: Mapped[list["ErpOrderHistory"]] = relationship(order_by="ErpOrderHistory.id", lazy="selectin")


class ErpOrderItem(db.Model):
    __tablename__ = "aistack_erp_order_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(Integer, ForeignKey("aistack_erp_orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(Integer, ForeignKey("aistack_erp_products.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    unit_cost: Mapped[Decimal] = mapped_column(MONEY)
    line_total: Mapped[Decimal] = mapped_column(MONEY)


class ErpOrderHistory(db.Model):
    __tablename__ = "aistack_erp_order_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(Integer, ForeignKey("aistack_erp_orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ErpProductionPlan(db.Model):
    __tablename__ = "aistack_erp_production_plans"
    __table_args__ = (
        CheckConstraint("completed_quantity >= 0 AND completed_quantity <= quantity", name="progress_within_quantity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = _account_id()
    order_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("aistack_erp_orders.id"), nullable=True, index=True)
    product_id: Mapped[int] = mapped_column(Integer, ForeignKey("aistack_erp_products.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    completed_quantity: Mapped[int] = mapped_column(Integer, default=0)
    current_stage: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20), default="planned", index=True)
    warehouse: Mapped[str] = mapped_column(String(100))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ErpStock(db.Model):
    """How many units of a product one warehouse holds: the sum of its ledger rows."""

    __tablename__ = "aistack_erp_stock"
    __table_args__ = (
        UniqueConstraint("product_id", "warehouse", name="uq_aistack_erp_stock_product_warehouse"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = _account_id()
    product_id: Mapped[int] = mapped_column(Integer, ForeignKey("aistack_erp_products.id"), index=True)
    warehouse: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ErpStockMovement(db.Model):
    """One entry of the stock ledger: `change` units in (+) or out (−) of a warehouse."""

    __tablename__ = "aistack_erp_stock_movements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = _account_id()
    product_id: Mapped[int] = mapped_column(Integer, ForeignKey("aistack_erp_products.id"), index=True)
    warehouse: Mapped[str] = mapped_column(String(100))
    change: Mapped[int] = mapped_column(Integer)
    # stock_in, stock_out, shipment (an order shipped), production (a plan completed)
    kind: Mapped[str] = mapped_column(String(20))
    balance_after: Mapped[int] = mapped_column(Integer)
    batch_number: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(String(200), default="")
    order_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("aistack_erp_orders.id"), nullable=True)
    plan_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("aistack_erp_production_plans.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ErpFinanceReport(db.Model):
    __tablename__ = "aistack_erp_finance_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = _account_id()
    type: Mapped[str] = mapped_column(String(20))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    # [{period, start_date, end_date, order_count, revenue, cost, profit, profit_margin}], money as
    # decimal strings so nothing is rounded through a float.
    lines: Mapped[list] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
