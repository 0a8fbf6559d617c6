"""Orders: taken for a customer with items priced in Decimal, moved along
pending → processing → shipped → delivered (cancelled only before shipping), every change kept
as history. Shipping takes the goods out of stock in the same transaction as the status."""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from injector import inject
from sqlalchemy import select, update

from config import Settings
from internal.aistack.gateway.envelope import ErrorCode
from internal.aistack.gateway.errors import AIStackException, invalid_input
from internal.aistack.gateway.listing import Pagination, paginate
from internal.extension.database import SQLAlchemy, utcnow

from . import stock_ledger
from .models import CENT, ErpCustomer, ErpOrder, ErpOrderHistory, ErpOrderItem, ErpProduct
from .records import owned
from .schemas import ORDER_LIST, OrderListQuery, OrderReq, OrderStatus, OrderStatusReq

# What NUMERIC(18, 2) holds.
MAX_ORDER_TOTAL = Decimal("9999999999999999.99")
NEXT_STATUSES = {
    OrderStatus.PENDING: {OrderStatus.PROCESSING, OrderStatus.CANCELLED},
    OrderStatus.PROCESSING: {OrderStatus.SHIPPED, OrderStatus.CANCELLED},
    OrderStatus.SHIPPED: {OrderStatus.DELIVERED},
}
# When each status was reached, on the order itself (the history keeps every step).
STATUS_TIMES = {OrderStatus.SHIPPED: "shipped_at", OrderStatus.DELIVERED: "delivered_at"}


def illegal_transition(current: str, target: str) -> AIStackException:
    return AIStackException(
        ErrorCode.INVALID_INPUT, f"订单状态不能从{current}变更为{target}", 400, {"from": current, "to": target}
    )


@inject
@dataclass
class ErpOrderService:
    db: SQLAlchemy
    settings: Settings

    def create(self, account_id: uuid.UUID, req: OrderReq) -> ErpOrder:
        session = self.db.session
        with self.db.auto_commit():
            customer = session.scalar(select(ErpCustomer).where(
                ErpCustomer.id == req.customer_id, ErpCustomer.account_id == account_id, ErpCustomer.deleted_at.is_(None)))
            if customer is None:
                raise invalid_input("customer_id", "客户不存在")
            wanted = {item.product_id for item in req.items}
            products = {p.id: p for p in session.scalars(
                select(ErpProduct).where(ErpProduct.account_id == account_id, ErpProduct.id.in_(wanted)))}
            items = []
            for index, item in enumerate(req.items):
                product = products.get(item.product_id)
                if product is None:
                    raise invalid_input(f"items[{index}].product_id", "产品不存在")
                unit_price = item.unit_price if item.unit_price is not None else product.price
                items.append(ErpOrderItem(
                    product_id=product.id,
                    quantity=item.quantity,
                    unit_price=unit_price,
                    unit_cost=product.cost,
                    line_total=(unit_price * item.quantity).quantize(CENT),
                ))
            total = sum((i.line_total for i in items), Decimal("0"))
            total_cost = sum(((i.unit_cost * i.quantity).quantize(CENT) for i in items), Decimal("0"))
            if max(total, total_cost) > MAX_ORDER_TOTAL:
                raise invalid_input("items", f"订单总额不能超过{MAX_ORDER_TOTAL}")
            order = ErpOrder(
                account_id=account_id,
                customer_id=customer.id,
                status=OrderStatus.PENDING.value,
                total_amount=total,
                total_cost=total_cost,
                delivery_date=req.delivery_date,
                notes=req.notes,
                items=items,
                history=[ErpOrderHistory(from_status=None, to_status=OrderStatus.PENDING.value, note="创建订单")],
            )
            session.add(order)
        return order

    def list(self, account_id: uuid.UUID, query: OrderListQuery) -> tuple[list[ErpOrder], Pagination]:
        stmt = select(ErpOrder).where(ErpOrder.account_id == account_id)
        if query.status is not None:
            stmt = stmt.where(ErpOrder.status == query.status.value)
        if query.customer_id is not None:
            stmt = stmt.where(ErpOrder.customer_id == query.customer_id)
        stmt = ORDER_LIST.apply(stmt, query)
        return paginate(self.db.session, stmt, query, tiebreak=ErpOrder.id)

    def get(self, account_id: uuid.UUID, order_id: int) -> ErpOrder:
        return owned(self.db.session, ErpOrder, order_id, account_id)

    def change_status(self, account_id: uuid.UUID, order_id: int, req: OrderStatusReq) -> ErpOrder:
        session = self.db.session
        target = req.status
        with self.db.auto_commit():
            order = owned(session, ErpOrder, order_id, account_id)
            current = OrderStatus(order.status)
            if target not in NEXT_STATUSES.get(current, ()):
                raise illegal_transition(current.value, target.value)
            now = utcnow()
            values = {"status": target.value, "updated_at": now}
            if target in STATUS_TIMES:
                values[STATUS_TIMES[target]] = now
            warehouse = req.warehouse or self.settings.aistack_erp.aistack_erp_default_warehouse
            if target is OrderStatus.SHIPPED:
                values["warehouse"] = warehouse
            # Only from the status read: of two requests racing, one moves the order.
            moved = session.execute(
                update(ErpOrder).where(ErpOrder.id == order.id, ErpOrder.status == current.value).values(**values)
                .execution_options(synchronize_session=False)
            ).rowcount
            if not moved:
                session.rollback()
                raise illegal_transition(owned(session, ErpOrder, order_id, account_id).status, target.value)
            if target is OrderStatus.SHIPPED:
                self._take_goods(account_id, order, warehouse)
            session.add(ErpOrderHistory(order_id=order.id, from_status=current.value, to_status=target.value, note=req.note))
        session.refresh(order)
        return order

    def _take_goods(self, account_id: uuid.UUID, order: ErpOrder, warehouse: str) -> None:
        needed: dict[int, int] = defaultdict(int)
        for item in order.items:
            needed[item.product_id] += item.quantity
        # Always in product order, so two shipments never wait on each other's rows.
        for product_id in sorted(needed):
            try:
                stock_ledger.take(self.db.session, account_id, product_id, warehouse, needed[product_id],
                                  stock_ledger.Movement("shipment", reason=f"订单{order.id}发货", order_id=order.id))
            except stock_ledger.StockShortError as short:
                raise AIStackException(
                    ErrorCode.INVALID_INPUT,
                    f"库存不足，无法发货：产品{product_id}在{warehouse}需要{short.wanted}，现有{short.available}",
                    400,
                    {"items": f"产品{product_id}库存不足", "product_id": product_id, "warehouse": warehouse,
                     "required": short.wanted, "available": short.available},
                ) from None
