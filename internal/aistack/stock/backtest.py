"""Backtests of the built-in strategies on daily bars. Signals are computed vectorised with
pandas on closes (target holding 1 or 0 per day); a day whose target changes trades at that
day's close, all in or all out, under the same lot and fee rules as paper orders."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd

from .fees import FeeSchedule
from .market.base import Bar, LotRule, cents
from .metrics import performance


def warmup_days(strategy_type: str, parameters: dict) -> int:
    """Trading days of bars an indicator needs before the first day of the test."""
    if strategy_type == "ma_crossover":
        return int(parameters["long_window"])
    if strategy_type == "rsi_mean_reversion":
        return int(parameters["period"]) * 3
    return 0


def target_holding(strategy_type: str, parameters: dict, closes: pd.Series) -> pd.Series:
    """1 on the days the strategy wants to hold the stock, 0 on the others."""
    if strategy_type == "ma_crossover":
        short = closes.rolling(int(parameters["short_window"])).mean()
        long = closes.rolling(int(parameters["long_window"])).mean()
        return (short > long).astype(int)
    if strategy_type == "rsi_mean_reversion":
        period = int(parameters["period"])
        change = closes.diff()
        gain = change.clip(lower=0).ewm(alpha=1 / period, adjust=False, min_periods=period).mean()
        loss = (-change.clip(upper=0)).ewm(alpha=1 / period, adjust=False, min_periods=period).mean()
        rsi = 100 - 100 / (1 + gain / loss)
        rsi = rsi.where(loss != 0, 100.0)
        signal = pd.Series(float("nan"), index=closes.index)
        signal[rsi < float(parameters["oversold"])] = 1.0  # oversold: buy
        signal[rsi > float(parameters["overbought"])] = 0.0  # overbought: sell
        return signal.ffill().fillna(0).astype(int)
    return pd.Series(1, index=closes.index)  # buy_and_hold


@dataclass
class BacktestResult:
    trades: list[dict]
    equity: pd.Series
    metrics: dict


def run_backtest(
    strategy_type: str,
    parameters: dict,
    bars: list[Bar],
    start: date,
    capital: Decimal,
    fees: FeeSchedule,
    risk_free: float,
    lot: LotRule,
) -> BacktestResult:
    """All in (the most shares the cash covers with fees, whole lots of the board) when the
    target turns to holding, all out when it turns away."""
    closes = pd.Series({bar.day: bar.close for bar in bars}, dtype=object).sort_index()
    targets = target_holding(strategy_type, parameters, closes.astype(float))
    tested = closes[closes.index >= start]
    targets = targets[targets.index >= start]
    # Only the days the target moves trade; the loop runs over those, not over every day.
    changes = targets.diff().fillna(targets).ne(0)
    cash, shares, trades, bought_cost = cents(capital), 0, [], Decimal("0")
    holdings = pd.Series(0, index=tested.index, dtype=object)
    cash_by_day = pd.Series(cash, index=tested.index, dtype=object)
    wins = closed = 0
    for day in tested.index[changes[tested.index].to_numpy()]:
        price = tested[day]
        if targets[day] == 1 and shares == 0:
            quantity = lot.largest(int(cash // price))
            while quantity and cents(price * quantity) + fees.charges("buy", cents(price * quantity)).total > cash:
                quantity = lot.largest(quantity - 1)
            if not quantity:
                continue
            amount = cents(price * quantity)
            charge = fees.charges("buy", amount).total
            cash -= amount + charge
            shares, bought_cost = quantity, amount + charge
            trades.append(_trade(day, "buy", price, shares, amount, charge, cash))
        elif targets[day] == 0 and shares:
            amount = cents(price * shares)
            charge = fees.charges("sell", amount).total
            cash += amount - charge
            closed += 1
            wins += amount - charge > bought_cost
            trades.append(_trade(day, "sell", price, shares, amount, charge, cash))
            shares = 0
        holdings[holdings.index >= day] = shares
        cash_by_day[cash_by_day.index >= day] = cash
    equity = (cash_by_day + holdings * tested).map(cents)
    curve = pd.concat([pd.Series([cents(capital)], index=["start"], dtype=object), equity])
    metrics = performance(curve, risk_free) if len(equity) else performance(pd.Series([float(capital)]), risk_free)
    metrics |= {
        "win_rate": round(wins / closed, 6) if closed else None,
        "trade_count": len(trades),
        "final_equity": float(equity.iloc[-1]) if len(equity) else float(capital),
    }
    return BacktestResult(trades, equity, metrics)


def _trade(day: date, action: str, price: Decimal, quantity: int, amount: Decimal, fees: Decimal, cash: Decimal) -> dict:
    return {
        "date": day.isoformat(),
        "action": action,
        "price": float(price),
        "quantity": quantity,
        "amount": float(amount),
        "fees": float(fees),
        "cash_after": float(cash),
    }
