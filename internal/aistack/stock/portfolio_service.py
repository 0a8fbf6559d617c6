"""The paper account's portfolio: positions valued at the current price, and its performance over a
period from daily equity reconstructed from the trade ledger and each day's closes, beside the
benchmark index from the same market data."""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from injector import inject
from sqlalchemy import select

from config import Settings
from internal.extension.database import SQLAlchemy

from .market import MarketData
from .market.base import cents
from .market.session import previous_trading_day, trade_date, trading_days
from .metrics import performance
from .models import StockPosition, StockTrade
from .schemas import Period
from .trading_service import TradingService, sellable

PERIOD_DAYS = {Period.ONE_MONTH: 30, Period.THREE_MONTHS: 91, Period.ONE_YEAR: 365}


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return cents(part * 100 / whole) if whole else Decimal("0.00")


@inject
@dataclass
class PortfolioService:
    db: SQLAlchemy
    settings: Settings
    market: MarketData
    trading: TradingService

    def positions(self, account_id: uuid.UUID) -> dict:
        now = datetime.now(UTC)
        account = self.trading.ensure_account(account_id, now)
        held = self.db.session.scalars(
            select(StockPosition)
            .where(StockPosition.account_id == account_id, StockPosition.quantity > 0)
            .order_by(StockPosition.symbol)
        ).all()
        self.db.session.commit()  # no transaction stays open across the quotes
        today = trade_date(now)
        rows, market_value = [], Decimal("0")
        for position in held:
            price = self.market.quote(position.symbol, now).current_price
            value = cents(price * position.quantity)
            pnl = value - position.cost_total
            market_value += value
            rows.append(
                {
                    "symbol": position.symbol,
                    "quantity": position.quantity,
                    "sellable_quantity": sellable(position, today),
                    "frozen_quantity": position.frozen_quantity,
                    "cost_basis": (position.cost_total / position.quantity).quantize(Decimal("0.001"), ROUND_HALF_UP),
                    "total_cost": position.cost_total,
                    "current_price": price,
                    "market_value": value,
                    "unrealised_pnl": pnl,
                    "unrealised_pnl_percent": _percent(pnl, position.cost_total),
                }
            )
        return {
            "cash": account.cash,
            "frozen_cash": account.frozen_cash,
            "available_cash": account.cash - account.frozen_cash,
            "market_value": market_value,
            "total_equity": account.cash + market_value,
            "initial_cash": account.initial_cash,
            "positions": rows,
            "source": self.market.source,
        }

    def performance(self, account_id: uuid.UUID, period: Period, now: datetime | None = None) -> dict:
        now = now or datetime.now(UTC)
        account = self.trading.ensure_account(account_id, now)
        trades = self.db.session.scalars(
            select(StockTrade).where(StockTrade.account_id == account_id).order_by(StockTrade.created_at)
        ).all()
        self.db.session.commit()
        today = trade_date(now)
        start = max(self._period_start(period, today), account.opened_on)
        days = trading_days(start, today) or [today]
        base = previous_trading_day(days[0])
        curve = self._equity(account.initial_cash, trades, base, days, now)
        stock = self.settings.aistack_stock
        risk_free = float(stock.stock_risk_free_rate)
        bars = self.market.index_history(stock.stock_benchmark, base - timedelta(days=14), today, now)
        index = _closes(bars, [base, *days])
        mine = performance(curve, risk_free)
        theirs = performance(index, risk_free) if index.notna().all() and len(index) else {}
        return {
            "period": period.value,
            "start_date": days[0].isoformat(),
            "end_date": days[-1].isoformat(),
            "start_equity": float(curve.iloc[0]),
            "end_equity": float(curve.iloc[-1]),
            "portfolio": mine,
            "benchmark": theirs,
            "benchmark_symbol": stock.stock_benchmark,
            "excess_return": round(mine["total_return"] - theirs.get("total_return", 0.0), 6),
            "equity_curve": [{"date": day.isoformat(), "equity": float(value)} for day, value in curve.items()],
            "source": self.market.source,
        }

    @staticmethod
    def _period_start(period: Period, today: date) -> date:
        if period is Period.YTD:
            return date(today.year, 1, 1)
        if period is Period.ALL:
            return date.min
        return today - timedelta(days=PERIOD_DAYS[period])

    def _equity(self, initial_cash: Decimal, trades: list[StockTrade], base: date, days: list[date], now: datetime) -> pd.Series:
        """Cash plus shares at each day's close, at the close of `base` (the start) and of each day.
        Cash and holdings of a day are what the ledger holds after that day's fills."""
        points = [base, *days]
        symbols = sorted({trade.symbol for trade in trades})
        closes = {
            symbol: _closes(self.market.history(symbol, base - timedelta(days=14), points[-1], now), points) for symbol in symbols
        }
        values = []
        for day in points:
            done = [trade for trade in trades if trade.trade_date <= day]
            cash = initial_cash + sum((trade.cash_change for trade in done), Decimal("0"))
            shares: dict[str, int] = {}
            for trade in done:
                signed = trade.quantity if trade.action == "buy" else -trade.quantity
                shares[trade.symbol] = shares.get(trade.symbol, 0) + signed
            worth = sum((Decimal(str(closes[s][day])) * q for s, q in shares.items() if q), Decimal("0"))
            values.append(cents(cash + worth))
        return pd.Series(values, index=points, dtype=object)


def _closes(bars, days: list[date]) -> pd.Series:
    """Each day's close, carried forward over days without a bar (holidays of a real source)."""
    series = pd.Series({bar.day: float(bar.close) for bar in bars}, dtype=float)
    return series.reindex(sorted(set(series.index) | set(days))).ffill().reindex(days)
