"""Saved strategies (CRUD, each owned by an account) and their backtests on the market's bars."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from injector import inject
from pydantic import ValidationError
from sqlalchemy import select

from config import Settings
from internal.aistack.gateway.errors import invalid_input
from internal.aistack.gateway.listing import ListSpec, paginate
from internal.exception import NotFoundException, ValidateErrorException
from internal.extension.database import SQLAlchemy
from pkg.validation_message import describe_fields

from .backtest import run_backtest, warmup_days
from .fees import FeeSchedule
from .market import MarketData
from .market.base import lot_rule
from .models import StockStrategy
from .schemas import MAX_HISTORY_DAYS, STRATEGY_PARAMS, BacktestReq, StrategyReq

STRATEGY_LIST = ListSpec(
    name="StockStrategy",
    sort={"created_at": StockStrategy.created_at, "name": StockStrategy.name},
    default_sort="created_at",
    filters={"strategy_type": (StockStrategy.strategy_type, str), "symbol": (StockStrategy.symbol, str)},
    date_column=StockStrategy.created_at,
)


def checked_parameters(strategy_type: str, parameters: dict) -> dict:
    """The type's parameters validated, defaults filled; problems named `parameters.<name>`."""
    try:
        checked = STRATEGY_PARAMS[strategy_type].model_validate(parameters).model_dump()
    except ValidationError as exc:
        fields = {f"parameters.{name}": problem for name, problem in describe_fields(exc).items()}
        name, problem = next(iter(fields.items()))
        raise ValidateErrorException(f"{name}: {problem}", fields=fields) from None
    if strategy_type == "ma_crossover" and checked["short_window"] >= checked["long_window"]:
        raise invalid_input("parameters.long_window", "长均线窗口必须大于短均线窗口")
    if strategy_type == "rsi_mean_reversion" and checked["oversold"] >= checked["overbought"]:
        raise invalid_input("parameters.overbought", "超买阈值必须大于超卖阈值")
    return checked


@inject
@dataclass
class StrategyService:
    db: SQLAlchemy
    settings: Settings
    market: MarketData

    def create(self, account_id: uuid.UUID, req: StrategyReq) -> StockStrategy:
        strategy = StockStrategy(
            account_id=account_id,
            name=req.name,
            strategy_type=req.strategy_type,
            symbol=req.symbol,
            parameters=checked_parameters(req.strategy_type, req.parameters),
        )
        with self.db.auto_commit():
            self.db.session.add(strategy)
        return strategy

    def get(self, account_id: uuid.UUID, strategy_id: uuid.UUID) -> StockStrategy:
        strategy = self.db.session.get(StockStrategy, strategy_id)
        if strategy is None or strategy.account_id != account_id:
            raise NotFoundException("策略不存在")
        return strategy

    def update(self, account_id: uuid.UUID, strategy_id: uuid.UUID, req: StrategyReq) -> StockStrategy:
        strategy = self.get(account_id, strategy_id)
        parameters = checked_parameters(req.strategy_type, req.parameters)
        with self.db.auto_commit():
            strategy.name, strategy.strategy_type, strategy.symbol = req.name, req.strategy_type, req.symbol
            strategy.parameters = parameters
        return strategy

    def delete(self, account_id: uuid.UUID, strategy_id: uuid.UUID) -> None:
        strategy = self.get(account_id, strategy_id)
        with self.db.auto_commit():
            self.db.session.delete(strategy)

    def list(self, account_id: uuid.UUID, query):
        stmt = STRATEGY_LIST.apply(select(StockStrategy).where(StockStrategy.account_id == account_id), query)
        return paginate(self.db.session, stmt, query, tiebreak=StockStrategy.id)

    def backtest(self, account_id: uuid.UUID, req: BacktestReq) -> dict:
        strategy = self.get(account_id, req.strategy_id)
        strategy_type, parameters, symbol = strategy.strategy_type, dict(strategy.parameters), strategy.symbol
        self.db.session.commit()  # nothing stays open while the bars are read
        now = datetime.now(UTC)
        if req.end_date < req.start_date:
            raise invalid_input("end_date", "结束日期不能早于开始日期")
        if (req.end_date - req.start_date).days > MAX_HISTORY_DAYS:
            raise invalid_input("end_date", f"回测区间最多{MAX_HISTORY_DAYS}天")
        if req.start_date > now.date():
            raise invalid_input("start_date", "开始日期不能晚于今天")
        # Calendar days enough to cover the indicator's warm-up in trading days.
        lead = timedelta(days=warmup_days(strategy_type, parameters) * 7 // 5 + 10)
        bars = self.market.history(symbol, req.start_date - lead, req.end_date, now)
        result = run_backtest(
            strategy_type,
            parameters,
            bars,
            req.start_date,
            req.initial_capital,
            FeeSchedule.of(self.settings),
            float(self.settings.aistack_stock.stock_risk_free_rate),
            lot_rule(symbol),
        )
        return {
            "strategy_id": req.strategy_id,
            "symbol": symbol,
            "start_date": req.start_date.isoformat(),
            "end_date": req.end_date.isoformat(),
            "initial_capital": float(req.initial_capital),
            "metrics": result.metrics,
            "trades": result.trades,
            "equity_curve": [{"date": day.isoformat(), "equity": float(value)} for day, value in result.equity.items()],
            "source": self.market.source,
        }
