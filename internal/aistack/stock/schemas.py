"""Requests and responses of the stock trading system."""

import uuid
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from internal.aistack.gateway.envelope import IsoTime, RowResp
from internal.schema.common import RequestModel

from .market.base import BOARD_PREFIXES, SYMBOL

MAX_HISTORY_DAYS = 3 * 366


def _symbol(value: str) -> str:
    if not SYMBOL.match(value) or not value.startswith(BOARD_PREFIXES):
        raise ValueError("请输入6位A股代码，如000001、600519")
    return value


class Action(str, Enum):
    BUY = "buy"
    SELL = "sell"


class OrderType(str, Enum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"


class OrderStatus(str, Enum):
    OPEN = "open"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"  # a day order that had not filled by the close


class HistoryQuery(RequestModel):
    """Trading days in [start, end], at most MAX_HISTORY_DAYS apart (checked by the service)."""

    start: date
    end: date


class PlaceOrderReq(RequestModel):
    symbol: str = Field(examples=["000001"])
    action: Action
    quantity: int = Field(gt=0, le=100_000_000, examples=[100])
    price: Decimal | None = Field(None, gt=0, le=100_000, decimal_places=2, description="限价单的限价、止损单的触发价；市价单不需要")
    order_type: OrderType = OrderType.MARKET

    @field_validator("symbol")
    @classmethod
    def _check_symbol(cls, value: str) -> str:
        return _symbol(value)


class Period(str, Enum):
    YTD = "ytd"
    ONE_MONTH = "1m"
    THREE_MONTHS = "3m"
    ONE_YEAR = "1y"
    ALL = "all"


class PerformanceQuery(RequestModel):
    period: Period = Period.YTD


class QuoteResp(BaseModel):
    symbol: str
    current_price: float
    change: float
    change_percent: float
    volume: int
    previous_close: float
    limit_up: float
    limit_down: float
    timestamp: str
    source: str


class BarResp(BaseModel):
    date: str
    open: float
    high: float
    low: float
    close: float
    volume: int


class HistoryResp(BaseModel):
    symbol: str
    start: str
    end: str
    bars: list[BarResp]
    source: str


class OrderResp(RowResp):
    order_id: uuid.UUID = Field(validation_alias="id")
    symbol: str
    action: str
    order_type: str
    quantity: int
    price: float | None
    status: str
    filled_price: float | None
    fees: float
    frozen_cash: float
    reason: str
    created_at: IsoTime
    filled_at: IsoTime | None


class PositionResp(BaseModel):
    symbol: str
    quantity: int
    sellable_quantity: int
    frozen_quantity: int
    cost_basis: float
    total_cost: float
    current_price: float
    market_value: float
    unrealised_pnl: float
    unrealised_pnl_percent: float


class PortfolioResp(BaseModel):
    cash: float
    frozen_cash: float
    available_cash: float
    market_value: float
    total_equity: float
    initial_cash: float
    positions: list[PositionResp]
    source: str


class MetricsResp(BaseModel):
    total_return: float
    annualized_return: float
    volatility: float
    sharpe_ratio: float | None
    max_drawdown: float


class PerformanceResp(BaseModel):
    period: str
    start_date: str
    end_date: str
    start_equity: float
    end_equity: float
    portfolio: MetricsResp
    benchmark: MetricsResp | dict
    benchmark_symbol: str
    excess_return: float
    equity_curve: list[dict]
    source: str



StrategyType = Literal["ma_crossover", "rsi_mean_reversion", "buy_and_hold"]


class MaCrossoverParams(RequestModel):
    short_window: int = Field(ge=1, le=250)
    long_window: int = Field(ge=2, le=250)


class RsiMeanReversionParams(RequestModel):
    period: int = Field(14, ge=2, le=100)
    oversold: float = Field(30, gt=0, lt=100)
    overbought: float = Field(70, gt=0, lt=100)


class BuyAndHoldParams(RequestModel):
    pass


STRATEGY_PARAMS: dict[str, type[RequestModel]] = {
    "ma_crossover": MaCrossoverParams,
    "rsi_mean_reversion": RsiMeanReversionParams,
    "buy_and_hold": BuyAndHoldParams,
}


class StrategyReq(RequestModel):
    """A saved strategy: a built-in type, the symbol it trades and the type's parameters
    (checked by the service, which names the offending `parameters.<name>`)."""

    name: str = Field(min_length=1, max_length=100, pattern=r"\S")
    strategy_type: StrategyType
    symbol: str = Field(examples=["600519"])
    parameters: dict[str, Any] = Field(default_factory=dict)

    @field_validator("symbol")
    @classmethod
    def _check_symbol(cls, value: str) -> str:
        return _symbol(value)


class StrategyResp(RowResp):
    strategy_id: uuid.UUID = Field(validation_alias="id")
    name: str
    strategy_type: str
    symbol: str
    parameters: dict[str, Any]
    created_at: IsoTime
    updated_at: IsoTime


class StrategyDeletedResp(BaseModel):
    strategy_id: uuid.UUID
    deleted: bool


class BacktestReq(RequestModel):
    strategy_id: uuid.UUID
    start_date: date
    end_date: date
    initial_capital: Decimal = Field(gt=0, le=10_000_000_000, decimal_places=2, examples=[100000])


class BacktestMetrics(MetricsResp):
    win_rate: float | None
    trade_count: int
    final_equity: float


class BacktestResp(BaseModel):
    strategy_id: uuid.UUID
    symbol: str
    start_date: str
    end_date: str
    initial_capital: float
    metrics: BacktestMetrics
    trades: list[dict]
    equity_curve: list[dict]
    source: str
