"""What the ERP's routes take and return. Money arrives and leaves as JSON numbers and is a
`Decimal` in between: a number of at most 15 significant digits is written with its exact
decimal text (0.1 + 0.2 is written 0.3); larger amounts are written as decimal strings, so no
value is ever rounded."""

import re
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, PlainSerializer

from internal.aistack.gateway.envelope import IsoTime, RowResp
from internal.aistack.gateway.listing import ListSpec, Order
from internal.schema.common import Documented, JsonInt, RequestModel, trimmed

from .models import ErpCustomer, ErpOrder, ErpProduct, ErpProductionPlan, ErpStock, ErpStockMovement

# Binary doubles tell apart every decimal of up to 15 significant digits (DBL_DIG), so the
# shortest text of float(value) is the value's own decimal text.
_EXACT_AS_FLOAT_DIGITS = 15
MAX_AMOUNT = Decimal("9999999999.99")  # one price or cost: below ten billion
MAX_QUANTITY = 1_000_000


def _money_json(value: Decimal) -> float | str:
    if len(value.normalize().as_tuple().digits) <= _EXACT_AS_FLOAT_DIGITS:
        return float(value)
    return str(value)


Money = Annotated[Decimal, PlainSerializer(_money_json, return_type=float | str, when_used="json")]
MoneyIn = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, max_digits=12, decimal_places=2)]
Quantity = Annotated[JsonInt, Field(ge=1, le=MAX_QUANTITY)]
Time = IsoTime | None  # the document has always shown the ERP's times as nullable

# Mainland mobile numbers (1[3-9] and nine digits, optionally +86) and landlines with their area
# code (0 and 2-3 digits, a hyphen optional, 7-8 digits, an extension after a hyphen optional).
PHONE_PATTERN = r"^(?:(?:\+?86)?1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)?$"  # empty: none given
_PHONE = re.compile(PHONE_PATTERN)


def _check_phone(value: str) -> str:
    if not _PHONE.fullmatch(value):
        raise ValueError("电话号码格式不正确，请填写手机号(如13800138000)或带区号的固话(如010-12345678)")
    return value


Phone = Annotated[str, Field(max_length=20), AfterValidator(_check_phone), Documented(pattern=PHONE_PATTERN)]
Name = trimmed(100, 1)
Warehouse = trimmed(100, 1)


class CustomerLevel(str, Enum):
    NORMAL = "normal"
    VIP = "VIP"
    SVIP = "SVIP"


class OrderStatus(str, Enum):
    PENDING = "pending"
    PROCESSING = "processing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class PlanStatus(str, Enum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


# ---- customers -------------------------------------------------------------------------------


class CustomerReq(RequestModel):
    name: Name
    contact: trimmed(100) = ""
    phone: Phone = ""
    email: EmailStr | None = None
    address: trimmed(500) = ""
    level: CustomerLevel = CustomerLevel.NORMAL
    notes: trimmed(2000) = ""


class CustomerUpdateReq(RequestModel):
    """Only the fields sent change."""

    name: Name | None = None
    contact: trimmed(100) | None = None
    phone: Phone | None = None
    email: EmailStr | None = None
    address: trimmed(500) | None = None
    level: CustomerLevel | None = None
    notes: trimmed(2000) | None = None


class CustomerResp(RowResp):
    customer_id: int = Field(validation_alias="id")
    name: str
    contact: str
    phone: str
    email: str
    address: str
    level: str
    notes: str
    created_at: Time
    updated_at: Time


CUSTOMER_LIST = ListSpec(
    name="ErpCustomer",
    sort={"created_at": ErpCustomer.created_at, "name": ErpCustomer.name, "level": ErpCustomer.level,
          "customer_id": ErpCustomer.id},
    default_sort="created_at",
    filters={"level": (ErpCustomer.level, CustomerLevel)},
    date_column=ErpCustomer.created_at,
)


class CustomerListQuery(CUSTOMER_LIST.query_model):
    # The document's plain form, `?level=VIP`, beside `filter[level]=VIP`.
    level: CustomerLevel | None = None


# ---- products --------------------------------------------------------------------------------


class ProductReq(RequestModel):
    sku: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    name: trimmed(200, 1)
    unit: trimmed(20, 1) = "件"
    price: MoneyIn
    cost: MoneyIn
    low_stock_threshold: Annotated[JsonInt, Field(ge=0, le=MAX_QUANTITY)] | None = None


class ProductUpdateReq(RequestModel):
    sku: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")] | None = None
    name: trimmed(200, 1) | None = None
    unit: trimmed(20, 1) | None = None
    price: MoneyIn | None = None
    cost: MoneyIn | None = None
    low_stock_threshold: Annotated[JsonInt, Field(ge=0, le=MAX_QUANTITY)] | None = None


class ProductResp(RowResp):
    product_id: int = Field(validation_alias="id")
    sku: str
    name: str
    unit: str
    price: Money
    cost: Money
    low_stock_threshold: int | None
    created_at: Time
    updated_at: Time


PRODUCT_LIST = ListSpec(
    name="ErpProduct",
    sort={"created_at": ErpProduct.created_at, "sku": ErpProduct.sku, "name": ErpProduct.name,
          "price": ErpProduct.price, "product_id": ErpProduct.id},
    default_sort="created_at",
    filters={"sku": (ErpProduct.sku, str)},
)


# ---- orders ----------------------------------------------------------------------------------


class OrderItemReq(BaseModel):
    model_config = ConfigDict(extra="ignore")

    product_id: JsonInt
    quantity: Quantity
    # None: the product's list price.
    unit_price: MoneyIn | None = None


class OrderReq(RequestModel):
    customer_id: JsonInt
    items: Annotated[list[OrderItemReq], Field(min_length=1, max_length=200)]
    delivery_date: date | None = None
    notes: trimmed(2000) = ""


class OrderStatusReq(RequestModel):
    status: OrderStatus
    note: trimmed(500) = ""
    # Shipping only: the warehouse the goods leave (default AISTACK_ERP_DEFAULT_WAREHOUSE).
    warehouse: Warehouse | None = None


class OrderItemResp(RowResp):
    item_id: int = Field(validation_alias="id")
    product_id: int
    quantity: int
    unit_price: Money
    unit_cost: Money
    line_total: Money


class OrderHistoryResp(RowResp):
    from_status: str | None
    to_status: str
    note: str
    created_at: Time


class OrderResp(RowResp):
    order_id: int = Field(validation_alias="id")
    customer_id: int
    status: str
    items: list[OrderItemResp]
    total_amount: Money
    total_cost: Money
    delivery_date: date | None
    notes: str
    warehouse: str | None
    shipped_at: Time
    delivered_at: Time
    created_at: Time
    updated_at: Time
    history: list[OrderHistoryResp]


ORDER_LIST = ListSpec(
    name="ErpOrder",
    sort={"created_at": ErpOrder.created_at, "total_amount": ErpOrder.total_amount, "order_id": ErpOrder.id,
          "delivery_date": ErpOrder.delivery_date},
    default_sort="created_at",
    filters={"status": (ErpOrder.status, OrderStatus), "customer_id": (ErpOrder.customer_id, int)},
    date_column=ErpOrder.created_at,
)


class OrderListQuery(ORDER_LIST.query_model):
    status: OrderStatus | None = None
    customer_id: int | None = None


# ---- production ------------------------------------------------------------------------------


class PlanReq(RequestModel):
    """The document names the product by `product` (its name); `product_id` or the SKU work too."""

    order_id: JsonInt | None = None
    product_id: JsonInt | None = None
    product: trimmed(200, 1) | None = None
    quantity: Quantity
    start_date: date
    end_date: date
    warehouse: Warehouse | None = None


class ProgressReq(RequestModel):
    completed_quantity: Annotated[JsonInt, Field(ge=0, le=MAX_QUANTITY)]
    current_stage: trimmed(100) | None = None


class PlanResp(RowResp):
    plan_id: int = Field(validation_alias="id")
    order_id: int | None
    product_id: int
    quantity: int
    completed_quantity: int
    progress: float
    current_stage: str
    status: str
    warehouse: str
    start_date: date
    end_date: date
    completed_at: Time
    created_at: Time
    updated_at: Time

    @classmethod
    def of(cls, plan: ErpProductionPlan) -> "PlanResp":
        return super().of(plan, progress=round(plan.completed_quantity / plan.quantity, 4))


PLAN_LIST = ListSpec(
    name="ErpPlan",
    sort={"created_at": ErpProductionPlan.created_at, "start_date": ErpProductionPlan.start_date,
          "end_date": ErpProductionPlan.end_date, "plan_id": ErpProductionPlan.id},
    default_sort="created_at",
    filters={"status": (ErpProductionPlan.status, PlanStatus), "order_id": (ErpProductionPlan.order_id, int)},
)


# ---- inventory -------------------------------------------------------------------------------


class StockInReq(RequestModel):
    product_id: JsonInt
    quantity: Quantity
    warehouse: Warehouse | None = None
    batch_number: trimmed(64) = ""
    reason: trimmed(200) = ""


class StockOutReq(RequestModel):
    product_id: JsonInt
    quantity: Quantity
    warehouse: Warehouse | None = None
    reason: trimmed(200) = ""
    order_id: JsonInt | None = None


class MovementResp(RowResp):
    movement_id: int = Field(validation_alias="id")
    product_id: int
    warehouse: str
    change: int
    kind: str
    balance_after: int
    batch_number: str
    reason: str
    order_id: int | None
    plan_id: int | None
    created_at: Time


class StockResp(BaseModel):
    product_id: int
    sku: str
    name: str
    unit: str
    warehouse: str
    quantity: int
    low_stock_threshold: int
    low_stock: bool
    updated_at: Time

    @classmethod
    def of(cls, stock: ErpStock, product: ErpProduct, default_threshold: int) -> "StockResp":
        threshold = product.low_stock_threshold if product.low_stock_threshold is not None else default_threshold
        return cls(product_id=product.id, sku=product.sku, name=product.name, unit=product.unit,
                   warehouse=stock.warehouse, quantity=stock.quantity, low_stock_threshold=threshold,
                   low_stock=stock.quantity <= threshold, updated_at=stock.updated_at)


STOCK_LIST = ListSpec(
    name="ErpStock",
    sort={"product_id": ErpStock.product_id, "warehouse": ErpStock.warehouse, "quantity": ErpStock.quantity,
          "updated_at": ErpStock.updated_at},
    default_sort="product_id",
    default_order=Order.ASC,
    filters={"product_id": (ErpStock.product_id, int), "warehouse": (ErpStock.warehouse, str)},
)

MOVEMENT_LIST = ListSpec(
    name="ErpMovement",
    sort={"created_at": ErpStockMovement.created_at, "movement_id": ErpStockMovement.id},
    default_sort="movement_id",
    filters={"product_id": (ErpStockMovement.product_id, int), "warehouse": (ErpStockMovement.warehouse, str),
             "kind": (ErpStockMovement.kind, str), "order_id": (ErpStockMovement.order_id, int)},
    date_column=ErpStockMovement.created_at,
)


# ---- finance ---------------------------------------------------------------------------------


class Period(str, Enum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class ReportType(str, Enum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class OverviewQuery(RequestModel):
    period: Period = Period.MONTH
    # Any day of the period wanted (UTC); default today.
    day: date | None = Field(None, alias="date")


class ReportReq(RequestModel):
    type: ReportType
    start_date: date
    end_date: date


class FinanceFigures(BaseModel):
    revenue: Money
    cost: Money
    profit: Money
    profit_margin: Money
    order_count: int


class OverviewResp(FinanceFigures):
    period: str
    start_date: date
    end_date: date


class ReportLine(FinanceFigures):
    period: str
    start_date: date
    end_date: date


class ReportResp(BaseModel):
    report_id: int
    type: str
    start_date: date
    end_date: date
    lines: list[ReportLine]
    total: FinanceFigures
    download_url: str
    created_at: Time


def decimal_fields(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """`data` with the money fields stored as decimal strings read back as Decimal."""
    return {k: Decimal(v) if k in names else v for k, v in data.items()}
