"""Performance figures of an equity curve, shared by the portfolio and backtests: total and
annualised return, annualised volatility, Sharpe ratio and maximum drawdown, from daily values
(252 trading days a year)."""

import math

import pandas as pd

TRADING_DAYS = 252


def performance(equity: pd.Series, risk_free_rate: float) -> dict:
    """Figures of a series of daily values (its first value is the starting point). Ratios are
    fractions rounded to 6 places (0.05 = 5 %); Sharpe is None when the curve does not move."""
    values = equity.astype(float)
    returns = values.pct_change().dropna()
    periods = len(returns)
    total = values.iloc[-1] / values.iloc[0] - 1 if len(values) and values.iloc[0] else 0.0
    annualised = (1 + total) ** (TRADING_DAYS / periods) - 1 if periods and total > -1 else (-1.0 if total <= -1 else 0.0)
    deviation = returns.std(ddof=1) if periods > 1 else 0.0
    volatility = deviation * math.sqrt(TRADING_DAYS) if deviation == deviation else 0.0
    sharpe = None
    if periods > 1 and deviation and deviation == deviation:
        excess = returns.mean() - risk_free_rate / TRADING_DAYS
        sharpe = round(float(excess / deviation * math.sqrt(TRADING_DAYS)), 6)
    drawdown = (values / values.cummax() - 1).min() if len(values) else 0.0
    return {
        "total_return": round(float(total), 6),
        "annualized_return": round(float(annualised), 6),
        "volatility": round(float(volatility), 6),
        "sharpe_ratio": sharpe,
        "max_drawdown": round(float(drawdown), 6),
    }
