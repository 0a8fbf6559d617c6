"""The embedded market: deterministic simulated prices. A day's prices are a function of the
symbol and the day alone (seeded hashes), so the same symbol and day always give the same bars
and the same quote at the same minute; each close moves from the previous one within the daily
limit, and a day's intraday path runs from its open to its close within the limits."""

import hashlib
import random
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

import numpy as np

from internal.exception import NotFoundException

from .base import Bar, MarketData, Quote, cents, price_limits
from .session import TradingClock, is_trading_day, last_trading_day, previous_trading_day, trade_date, trading_days

SOURCE = "simulated"
# Closes are walked from here; history before it does not exist in the simulated market.
EPOCH = date(2015, 1, 5)
INDEX_BASES = {"000300": 3500.0, "000001": 3000.0, "399001": 10000.0}


def _seed(*parts: object) -> int:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


class _Series:
    """One instrument's closes from EPOCH on, extended as later days are asked for."""

    def __init__(self, key: str, limit_symbol: str, base: float, volatility: float):
        self.key = key
        self.limit_symbol = limit_symbol
        self.volatility = volatility
        self.closes: dict[date, Decimal] = {}
        self.first_close = cents(base)
        self.last_day = previous_trading_day(EPOCH)
        self.closes[self.last_day] = self.first_close
        self.lock = threading.Lock()

    def close(self, day: date) -> Decimal:
        day = last_trading_day(day)
        if day < self.last_day:
            return self.closes.get(day, self.first_close)
        with self.lock:
            while self.last_day < day:
                previous = self.closes[self.last_day]
                self.last_day = _next_trading_day(self.last_day)
                self.closes[self.last_day] = self._move(previous, self.last_day)
        return self.closes[day]

    def _move(self, previous: Decimal, day: date) -> Decimal:
        rng = random.Random(_seed(self.key, day, "close"))
        change = max(-0.095, min(0.095, rng.gauss(0.0002, self.volatility)))
        low, high = price_limits(self.limit_symbol, previous)
        return min(high, max(low, max(cents(float(previous) * (1 + change)), Decimal("0.01"))))


def _next_trading_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_trading_day(day):
        day += timedelta(days=1)
    return day


class SimulatedMarket(MarketData):
    source = SOURCE

    def __init__(self, clock: TradingClock):
        self.clock = clock
        self._series: dict[str, _Series] = {}
        self._lock = threading.Lock()

    def _stock(self, symbol: str) -> _Series:
        return self._get(f"stock:{symbol}", symbol, 5 + (_seed(symbol, "base") % 9500) / 100, 0.02)

    def _index(self, code: str) -> _Series:
        if code not in INDEX_BASES:
            raise NotFoundException("指数不存在")
        return self._get(f"index:{code}", "000000", INDEX_BASES[code], 0.012)

    def _get(self, key: str, limit_symbol: str, base: float, volatility: float) -> _Series:
        with self._lock:
            if key not in self._series:
                self._series[key] = _Series(key, limit_symbol, base, volatility)
            return self._series[key]

    def quote(self, symbol: str, at: datetime) -> Quote:
        series = self._stock(symbol)
        today = trade_date(at)
        day = last_trading_day(today)
        previous = series.close(previous_trading_day(day))
        low, high = price_limits(symbol, previous)
        path, volumes = self._path(series, day)
        elapsed = self.clock.elapsed_minutes(at) if day == today else len(path) - 1
        if elapsed is None:  # before today's open: yesterday's close stands, unchanged
            price, volume = previous, 0
        else:
            price, volume = _yuan(path[elapsed]), int(volumes[: elapsed + 1].sum())
        return Quote(symbol, price, previous, volume, at, low, high, SOURCE)

    def history(self, symbol: str, start: date, end: date, at: datetime) -> list[Bar]:
        return self._bars(self._stock(symbol), start, end, at)

    def index_history(self, code: str, start: date, end: date, at: datetime) -> list[Bar]:
        return self._bars(self._index(code), start, end, at)

    def _bars(self, series: _Series, start: date, end: date, at: datetime) -> list[Bar]:
        today = trade_date(at)
        bars = []
        for day in trading_days(max(start, EPOCH), min(end, today)):
            path, volumes = self._path(series, day)
            elapsed = len(path) - 1 if day < today else self.clock.elapsed_minutes(at)
            if elapsed is None:
                continue
            seen = path[: elapsed + 1]
            bars.append(
                Bar(day, _yuan(seen[0]), _yuan(seen.max()), _yuan(seen.min()), _yuan(seen[-1]), int(volumes[: elapsed + 1].sum()))
            )
        return bars

    def _path(self, series: _Series, day: date) -> tuple[np.ndarray, np.ndarray]:
        previous, close = series.close(previous_trading_day(day)), series.close(day)
        return _intraday(series.key, series.limit_symbol, day, previous, close, self.clock.minutes_per_day)


def _yuan(fen: int) -> Decimal:
    return Decimal(int(fen)).scaleb(-2)


@lru_cache(maxsize=4096)
def _intraday(key: str, limit_symbol: str, day: date, previous: Decimal, close: Decimal, minutes: int):
    """A day's prices in fen minute by minute (minutes + 1 points, open to close) and volumes: a
    Brownian bridge from the open to the close, kept inside the daily limits."""
    rng = np.random.default_rng(_seed(key, day, "path"))
    low, high = (int(limit * 100) for limit in price_limits(limit_symbol, previous))
    opening = min(high, max(low, round(float(previous) * 100 * (1 + rng.normal(0, 0.005)))))
    walk = np.concatenate(([0.0], np.cumsum(rng.normal(0, 1, minutes))))
    share = np.arange(minutes + 1) / minutes
    bridge = walk - share * walk[-1]
    raw = opening + (float(close) * 100 - opening) * share + bridge * float(previous) * 3 / np.sqrt(minutes)
    path = np.clip(np.round(raw), low, high).astype(np.int64)
    path[0], path[-1] = opening, int(close * 100)
    volumes = rng.integers(1, 200, minutes + 1) * 100
    return path, volumes
