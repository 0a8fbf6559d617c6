"""Customers of an account: create, list, read, update, and delete while no order is open."""

import uuid
from dataclasses import dataclass

from injector import inject
from sqlalchemy import func, select, update

from internal.aistack.gateway.envelope import ErrorCode
from internal.aistack.gateway.errors import AIStackException
from internal.aistack.gateway.listing import Pagination, paginate
from internal.extension.database import SQLAlchemy, utcnow

from .models import ErpCustomer, ErpOrder
from .records import owned
from .schemas import CUSTOMER_LIST, CustomerListQuery, CustomerReq, CustomerUpdateReq

# Orders not yet delivered or cancelled.
OPEN_STATUSES = ("pending", "processing", "shipped")


@inject
@dataclass
class ErpCustomerService:
    db: SQLAlchemy

    def create(self, account_id: uuid.UUID, req: CustomerReq) -> ErpCustomer:
        customer = ErpCustomer(account_id=account_id, **req.model_dump(exclude={"level", "email"}),
                               level=req.level.value, email=req.email or "")
        with self.db.auto_commit():
            self.db.session.add(customer)
        return customer

    def list(self, account_id: uuid.UUID, query: CustomerListQuery) -> tuple[list[ErpCustomer], Pagination]:
        stmt = select(ErpCustomer).where(ErpCustomer.account_id == account_id, ErpCustomer.deleted_at.is_(None))
        if query.level is not None:
            stmt = stmt.where(ErpCustomer.level == query.level.value)
        stmt = CUSTOMER_LIST.apply(stmt, query)
        return paginate(self.db.session, stmt, query, tiebreak=ErpCustomer.id)

    def get(self, account_id: uuid.UUID, customer_id: int) -> ErpCustomer:
        return owned(self.db.session, ErpCustomer, customer_id, account_id)

    def update(self, account_id: uuid.UUID, customer_id: int, req: CustomerUpdateReq) -> ErpCustomer:
        with self.db.auto_commit():
            customer = owned(self.db.session, ErpCustomer, customer_id, account_id)
            for name, value in req.model_dump(mode="json", exclude_unset=True, exclude_none=True).items():
                setattr(customer, name, value)
        return customer

    def delete(self, account_id: uuid.UUID, customer_id: int) -> None:
        with self.db.auto_commit():
            owned(self.db.session, ErpCustomer, customer_id, account_id)
            open_orders = select(ErpOrder.id).where(ErpOrder.customer_id == customer_id, ErpOrder.status.in_(OPEN_STATUSES))
            # One statement decides: an order opened meanwhile keeps the customer.
            deleted = self.db.session.execute(
                update(ErpCustomer)
                .where(ErpCustomer.id == customer_id, ErpCustomer.deleted_at.is_(None), ~open_orders.exists())
                .values(deleted_at=utcnow())
            ).rowcount
            if not deleted:
                count = self.db.session.scalar(select(func.count()).select_from(open_orders.subquery()))
                raise AIStackException(
                    ErrorCode.INVALID_INPUT,
                    f"客户还有{count}个未完成的订单，不能删除",
                    400,
                    {"customer_id": f"客户还有{count}个未完成的订单"},
                )
