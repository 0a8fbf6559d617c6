"""The one place stock counts change: every change is a conditional UPDATE of the product's row
in a warehouse plus an entry in the ledger, inside the caller's transaction, so the stock is
always the sum of the ledger. Taking stock is `quantity = quantity - n WHERE quantity >= n`:
PostgreSQL re-checks the condition under the row lock, SQLite runs one writer at a time, so no
concurrency can drive a count below zero."""

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from internal.extension.database import utcnow

from .models import ErpStock, ErpStockMovement


class StockShortError(Exception):
    def __init__(self, product_id: int, warehouse: str, wanted: int, available: int):
        super().__init__(f"product {product_id} in {warehouse}: {wanted} wanted, {available} available")
        self.product_id = product_id
        self.warehouse = warehouse
        self.wanted = wanted
        self.available = available


@dataclass(frozen=True)
class Movement:
    kind: str  # stock_in, stock_out, shipment, production
    batch_number: str = ""
    reason: str = ""
    order_id: int | None = None
    plan_id: int | None = None


def put(session: Session, account_id: uuid.UUID, product_id: int, warehouse: str, quantity: int, movement: Movement) -> ErpStockMovement:
    """Adds `quantity` units to the warehouse (its row is created on the first movement)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(ErpStock)
        .values(account_id=account_id, product_id=product_id, warehouse=warehouse, quantity=0, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["product_id", "warehouse"])
    )
    balance = session.execute(
        update(ErpStock)
        .where(ErpStock.product_id == product_id, ErpStock.warehouse == warehouse)
        .values(quantity=ErpStock.quantity + quantity, updated_at=utcnow())
        .returning(ErpStock.quantity)
    ).scalar_one()
    return _record(session, account_id, product_id, warehouse, quantity, balance, movement)


def take(session: Session, account_id: uuid.UUID, product_id: int, warehouse: str, quantity: int, movement: Movement) -> ErpStockMovement:
    """Takes `quantity` units out of the warehouse, or raises StockShortError changing nothing."""
    balance = session.execute(
        update(ErpStock)
        .where(ErpStock.product_id == product_id, ErpStock.warehouse == warehouse, ErpStock.quantity >= quantity)
        .values(quantity=ErpStock.quantity - quantity, updated_at=utcnow())
        .returning(ErpStock.quantity)
    ).scalar_one_or_none()
    if balance is None:
        available = session.scalar(
            select(ErpStock.quantity).where(ErpStock.product_id == product_id, ErpStock.warehouse == warehouse)
        )
        raise StockShortError(product_id, warehouse, quantity, available or 0)
    return _record(session, account_id, product_id, warehouse, -quantity, balance, movement)


def _record(session: Session, account_id, product_id, warehouse, change, balance, movement: Movement) -> ErpStockMovement:
    entry = ErpStockMovement(
        account_id=account_id,
        product_id=product_id,
        warehouse=warehouse,
        change=change,
        balance_after=balance,
        kind=movement.kind,
        batch_number=movement.batch_number,
        reason=movement.reason,
        order_id=movement.order_id,
        plan_id=movement.plan_id,
    )
    session.add(entry)
    session.flush()
    return entry
