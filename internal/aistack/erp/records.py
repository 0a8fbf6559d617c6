"""Loading an ERP record for an account: missing and someone else's are the same 404."""

import uuid
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from internal.exception import NotFoundException

from .models import ErpCustomer

T = TypeVar("T")

NOT_FOUND = {
    "ErpCustomer": "客户不存在",
    "ErpProduct": "产品不存在",
    "ErpOrder": "订单不存在",
    "ErpProductionPlan": "生产计划不存在",
    "ErpFinanceReport": "财务报表不存在",
}


def owned(session: Session, model: type[T], record_id: int, account_id: uuid.UUID, *, for_update: bool = False) -> T:
    stmt = select(model).where(model.id == record_id, model.account_id == account_id)
    if model is ErpCustomer:
        stmt = stmt.where(ErpCustomer.deleted_at.is_(None))
    if for_update:
        stmt = stmt.with_for_update()
    record = session.scalar(stmt)
    if record is None:
        raise NotFoundException(NOT_FOUND[model.__name__])
    return record
