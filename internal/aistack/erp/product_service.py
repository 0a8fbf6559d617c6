"""Products of an account, each with a SKU of its own within the account."""

import uuid
from dataclasses import dataclass

from injector import inject
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from internal.aistack.gateway.errors import invalid_input
from internal.aistack.gateway.listing import Pagination, paginate
from internal.extension.database import SQLAlchemy

from .models import ErpProduct
from .records import owned
from .schemas import PRODUCT_LIST, ProductReq, ProductUpdateReq

SKU_TAKEN = "该SKU已存在"


@inject
@dataclass
class ErpProductService:
    db: SQLAlchemy

    def create(self, account_id: uuid.UUID, req: ProductReq) -> ErpProduct:
        self._check_sku_free(account_id, req.sku)
        product = ErpProduct(account_id=account_id, **req.model_dump())
        self._commit(product)
        return product

    def list(self, account_id: uuid.UUID, query) -> tuple[list[ErpProduct], Pagination]:
        stmt = PRODUCT_LIST.apply(select(ErpProduct).where(ErpProduct.account_id == account_id), query)
        return paginate(self.db.session, stmt, query, tiebreak=ErpProduct.id)

    def get(self, account_id: uuid.UUID, product_id: int) -> ErpProduct:
        return owned(self.db.session, ErpProduct, product_id, account_id)

    def update(self, account_id: uuid.UUID, product_id: int, req: ProductUpdateReq) -> ErpProduct:
        product = owned(self.db.session, ErpProduct, product_id, account_id)
        changes = req.model_dump(exclude_unset=True)
        if changes.get("sku") is None:
            changes.pop("sku", None)
        for name in ("name", "unit", "price", "cost"):
            if name in changes and changes[name] is None:
                raise invalid_input(name, "不能为空")
        if "sku" in changes and changes["sku"] != product.sku:
            self._check_sku_free(account_id, changes["sku"])
        for name, value in changes.items():
            setattr(product, name, value)
        self._commit(product)
        return product

    def _check_sku_free(self, account_id: uuid.UUID, sku: str) -> None:
        taken = self.db.session.scalar(select(ErpProduct.id).where(ErpProduct.account_id == account_id, ErpProduct.sku == sku))
        if taken is not None:
            raise invalid_input("sku", SKU_TAKEN)

    def _commit(self, product: ErpProduct) -> None:
        try:
            with self.db.auto_commit():
                self.db.session.add(product)
        except IntegrityError:  # the same SKU created at the same moment
            raise invalid_input("sku", SKU_TAKEN) from None
