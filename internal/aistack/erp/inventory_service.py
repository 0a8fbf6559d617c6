"""Stock per product and warehouse: the summary with low-stock flags, stock-in, stock-out and
the ledger every movement is written to (see stock_ledger)."""

import uuid
from dataclasses import dataclass

from injector import inject
from sqlalchemy import select

from config import Settings
from internal.aistack.gateway.envelope import ErrorCode
from internal.aistack.gateway.errors import AIStackException
from internal.aistack.gateway.listing import Pagination, paginate
from internal.extension.database import SQLAlchemy

from . import stock_ledger
from .models import ErpOrder, ErpProduct, ErpStock, ErpStockMovement
from .records import owned
from .schemas import MOVEMENT_LIST, STOCK_LIST, StockInReq, StockOutReq, StockResp


@inject
@dataclass
class ErpInventoryService:
    db: SQLAlchemy
    settings: Settings

    @property
    def default_warehouse(self) -> str:
        return self.settings.aistack_erp.aistack_erp_default_warehouse

    def summary(self, account_id: uuid.UUID, query) -> tuple[list[StockResp], Pagination]:
        stmt = STOCK_LIST.apply(select(ErpStock).where(ErpStock.account_id == account_id), query)
        rows, pagination = paginate(self.db.session, stmt, query, tiebreak=ErpStock.id)
        products = {p.id: p for p in self.db.session.scalars(
            select(ErpProduct).where(ErpProduct.id.in_({row.product_id for row in rows})))}
        threshold = self.settings.aistack_erp.aistack_erp_low_stock_threshold
        return [StockResp.of(row, products[row.product_id], threshold) for row in rows], pagination

    def stock_in(self, account_id: uuid.UUID, req: StockInReq) -> ErpStockMovement:
        with self.db.auto_commit():
            owned(self.db.session, ErpProduct, req.product_id, account_id)
            movement = stock_ledger.put(
                self.db.session, account_id, req.product_id, req.warehouse or self.default_warehouse, req.quantity,
                stock_ledger.Movement("stock_in", batch_number=req.batch_number, reason=req.reason or "入库"),
            )
        return movement

    def stock_out(self, account_id: uuid.UUID, req: StockOutReq) -> ErpStockMovement:
        warehouse = req.warehouse or self.default_warehouse
        with self.db.auto_commit():
            owned(self.db.session, ErpProduct, req.product_id, account_id)
            if req.order_id is not None:
                owned(self.db.session, ErpOrder, req.order_id, account_id)
            try:
                movement = stock_ledger.take(
                    self.db.session, account_id, req.product_id, warehouse, req.quantity,
                    stock_ledger.Movement("stock_out", reason=req.reason or "出库", order_id=req.order_id),
                )
            except stock_ledger.StockShortError as short:
                raise AIStackException(
                    ErrorCode.INVALID_INPUT,
                    f"库存不足：{warehouse}现有{short.available}，需要{short.wanted}",
                    400,
                    {"quantity": f"库存不足，现有{short.available}", "available": short.available},
                ) from None
        return movement

    def movements(self, account_id: uuid.UUID, query) -> tuple[list[ErpStockMovement], Pagination]:
        stmt = MOVEMENT_LIST.apply(select(ErpStockMovement).where(ErpStockMovement.account_id == account_id), query)
        return paginate(self.db.session, stmt, query, tiebreak=ErpStockMovement.id)
