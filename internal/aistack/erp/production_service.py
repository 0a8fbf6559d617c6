"""Production plans: made for an order (or for stock), progress that only moves forward up to
the planned quantity, and a completed plan's output put into stock exactly once."""

import uuid
from dataclasses import dataclass

from injector import inject
from sqlalchemy import select, update

from config import Settings
from internal.aistack.gateway.errors import invalid_input
from internal.aistack.gateway.listing import Pagination, paginate
from internal.extension.database import SQLAlchemy, utcnow

from . import stock_ledger
from .models import ErpOrder, ErpProduct, ErpProductionPlan
from .records import owned
from .schemas import PLAN_LIST, PlanReq, PlanStatus, ProgressReq


@inject
@dataclass
class ErpProductionService:
    db: SQLAlchemy
    settings: Settings

    def create(self, account_id: uuid.UUID, req: PlanReq) -> ErpProductionPlan:
        if req.end_date < req.start_date:
            raise invalid_input("end_date", "结束日期不能早于开始日期")
        with self.db.auto_commit():
            if req.order_id is not None and self.db.session.scalar(
                select(ErpOrder.id).where(ErpOrder.id == req.order_id, ErpOrder.account_id == account_id)
            ) is None:
                raise invalid_input("order_id", "订单不存在")
            plan = ErpProductionPlan(
                account_id=account_id,
                order_id=req.order_id,
                product_id=self._product_id(account_id, req),
                quantity=req.quantity,
                completed_quantity=0,
                current_stage="",
                status=PlanStatus.PLANNED.value,
                warehouse=req.warehouse or self.settings.aistack_erp.aistack_erp_default_warehouse,
                start_date=req.start_date,
                end_date=req.end_date,
            )
            self.db.session.add(plan)
        return plan

    def _product_id(self, account_id: uuid.UUID, req: PlanReq) -> int:
        """The product by id, else by SKU or name (the document's `product` is its name)."""
        mine = select(ErpProduct.id).where(ErpProduct.account_id == account_id)
        if req.product_id is not None:
            found = self.db.session.scalars(mine.where(ErpProduct.id == req.product_id)).all()
            field = "product_id"
        elif req.product is not None:
            found = self.db.session.scalars(mine.where(ErpProduct.sku == req.product)).all() or \
                self.db.session.scalars(mine.where(ErpProduct.name == req.product)).all()
            field = "product"
        else:
            raise invalid_input("product", "请指定产品(product_id或product)")
        if not found:
            raise invalid_input(field, "产品不存在")
        if len(found) > 1:
            raise invalid_input(field, "有多个同名产品，请使用product_id")
        return found[0]

    def list(self, account_id: uuid.UUID, query) -> tuple[list[ErpProductionPlan], Pagination]:
        stmt = PLAN_LIST.apply(select(ErpProductionPlan).where(ErpProductionPlan.account_id == account_id), query)
        return paginate(self.db.session, stmt, query, tiebreak=ErpProductionPlan.id)

    def get(self, account_id: uuid.UUID, plan_id: int) -> ErpProductionPlan:
        return owned(self.db.session, ErpProductionPlan, plan_id, account_id)

    def progress(self, account_id: uuid.UUID, plan_id: int, req: ProgressReq) -> ErpProductionPlan:
        session = self.db.session
        done = req.completed_quantity
        with self.db.auto_commit():
            plan = owned(session, ErpProductionPlan, plan_id, account_id)
            self._check_progress(plan, done)
            completing = done == plan.quantity
            values = {
                "completed_quantity": done,
                "status": (PlanStatus.COMPLETED if completing else PlanStatus.IN_PROGRESS).value,
                "updated_at": utcnow(),
            }
            if req.current_stage is not None:
                values["current_stage"] = req.current_stage
            if completing:
                values["completed_at"] = utcnow()
            # Forward only, and never past completion, whatever another request did meanwhile.
            moved = session.execute(
                update(ErpProductionPlan)
                .where(
                    ErpProductionPlan.id == plan.id,
                    ErpProductionPlan.completed_quantity <= done,
                    ErpProductionPlan.status != PlanStatus.COMPLETED.value,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            ).rowcount
            if not moved:
                session.rollback()
                self._check_progress(owned(session, ErpProductionPlan, plan_id, account_id), done)
                raise invalid_input("completed_quantity", "进度已被同时更新，请重试")
            if completing:
                stock_ledger.put(session, account_id, plan.product_id, plan.warehouse, plan.quantity,
                                 stock_ledger.Movement("production", reason=f"生产计划{plan.id}完工", plan_id=plan.id,
                                                       order_id=plan.order_id))
        session.refresh(plan)
        return plan

    @staticmethod
    def _check_progress(plan: ErpProductionPlan, done: int) -> None:
        if plan.status == PlanStatus.COMPLETED.value:
            raise invalid_input("completed_quantity", "生产计划已完成，不能再更新进度")
        if done > plan.quantity:
            raise invalid_input("completed_quantity", f"不能超过计划数量{plan.quantity}")
        if done < plan.completed_quantity:
            raise invalid_input("completed_quantity", f"不能小于当前已完成数量{plan.completed_quantity}")
