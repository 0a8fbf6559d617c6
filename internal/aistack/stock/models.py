"""The stock trading system's records: one paper account per AI Stack account, its positions,
orders, the ledger of fills, and saved strategies. Money is NUMERIC to the fen."""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import JSONType, UTCDateTime, db, utcnow

Money = Numeric(18, 2)
Price = Numeric(12, 2)


class StockAccount(db.Model):
    """Cash of a paper account; `frozen_cash` is held for open buy orders. Every change to an
    account's cash, positions or orders first locks this row (see trading_service)."""

    __tablename__ = "aistack_stock_account"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), unique=True, index=True)
    initial_cash: Mapped[Decimal] = mapped_column(Money)
    cash: Mapped[Decimal] = mapped_column(Money)
    frozen_cash: Mapped[Decimal] = mapped_column(Money, default=lambda: Decimal("0"))
    opened_on: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockPosition(db.Model):
    """Shares of one symbol. `frozen_quantity` is held for open sell orders; `bought_today` shares
    (bought on `bought_on`) cannot be sold until the next day (T+1). `cost_total` is what the
    shares held cost, fees included (average cost)."""

    __tablename__ = "aistack_stock_position"
    __table_args__ = (UniqueConstraint("account_id", "symbol"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    symbol: Mapped[str] = mapped_column(String(6))
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    frozen_quantity: Mapped[int] = mapped_column(Integer, default=0)
    bought_today: Mapped[int] = mapped_column(Integer, default=0)
    bought_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    cost_total: Mapped[Decimal] = mapped_column(Money, default=lambda: Decimal("0"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockOrder(db.Model):
    __tablename__ = "aistack_stock_order"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    symbol: Mapped[str] = mapped_column(String(6), index=True)
    action: Mapped[str] = mapped_column(String(8))  # buy | sell
    order_type: Mapped[str] = mapped_column(String(8))  # market | limit | stop
    quantity: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal | None] = mapped_column(Price, nullable=True)  # limit or stop price
    status: Mapped[str] = mapped_column(String(16), index=True)  # open | filled | cancelled | rejected
    frozen_cash: Mapped[Decimal] = mapped_column(Money, default=lambda: Decimal("0"))
    filled_price: Mapped[Decimal | None] = mapped_column(Price, nullable=True)
    fees: Mapped[Decimal] = mapped_column(Money, default=lambda: Decimal("0"))
    reason: Mapped[str] = mapped_column(String(255), default="")
    filled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class StockTrade(db.Model):
    """One fill: the ledger cash and positions follow from."""

    __tablename__ = "aistack_stock_trade"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("aistack_stock_order.id", ondelete="CASCADE"), unique=True)
    symbol: Mapped[str] = mapped_column(String(6))
    action: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Price)
    amount: Mapped[Decimal] = mapped_column(Money)
    commission: Mapped[Decimal] = mapped_column(Money)
    stamp_duty: Mapped[Decimal] = mapped_column(Money)
    transfer_fee: Mapped[Decimal] = mapped_column(Money)
    cash_change: Mapped[Decimal] = mapped_column(Money)  # signed: what the fill did to cash
    trade_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockStrategy(db.Model):
    __tablename__ = "aistack_stock_strategy"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    strategy_type: Mapped[str] = mapped_column(String(32))
    symbol: Mapped[str] = mapped_column(String(6))
    parameters: Mapped[dict] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
