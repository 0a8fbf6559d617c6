"""The market data port: quotes and daily bars of China A-shares, and the rules every source
shares (symbol format, daily price limits, prices in fen)."""

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from internal.aistack.gateway.errors import invalid_input

CENT = Decimal("0.01")
SYMBOL = re.compile(r"^\d{6}$")
# Shenzhen main board (000-003), ChiNext (300, 301), Shanghai main board (600-605), STAR (688).
BOARD_PREFIXES = ("000", "001", "002", "003", "300", "301", "600", "601", "603", "605", "688")
# ChiNext and STAR move up to 20 % a day, the main boards 10 % (ST names are not modelled).
WIDE_LIMIT_PREFIXES = ("300", "301", "688")
# STAR orders are of 200 shares or more, in steps of one share; elsewhere whole lots of 100.
STAR_PREFIXES = ("688",)


def cents(value: Decimal | float | int) -> Decimal:
    """An amount rounded half-up to the fen, the unit of A-share prices and cash."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def check_symbol(symbol: str) -> str:
    if not SYMBOL.match(symbol or "") or not symbol.startswith(BOARD_PREFIXES):
        raise invalid_input("symbol", "请输入6位A股代码，如000001、600519")
    return symbol


@dataclass(frozen=True)
class LotRule:
    """The quantities an order of a board may be for: `minimum` shares or more, in `step`s."""

    minimum: int
    step: int

    def allows(self, quantity: int) -> bool:
        return quantity >= self.minimum and (quantity - self.minimum) % self.step == 0

    def largest(self, within: int) -> int:
        """The largest quantity allowed that is at most `within` (0 if none is)."""
        if within < self.minimum:
            return 0
        return self.minimum + (within - self.minimum) // self.step * self.step

    def describe(self) -> str:
        if self.step == self.minimum:
            return f"{self.minimum}股的整数倍"
        return f"不少于{self.minimum}股（以1股递增）" if self.step == 1 else f"不少于{self.minimum}股、以{self.step}股递增"


def lot_rule(symbol: str) -> LotRule:
    return LotRule(200, 1) if symbol.startswith(STAR_PREFIXES) else LotRule(100, 100)


def limit_rate(symbol: str) -> Decimal:
    return Decimal("0.20") if symbol.startswith(WIDE_LIMIT_PREFIXES) else Decimal("0.10")


def price_limits(symbol: str, previous_close: Decimal) -> tuple[Decimal, Decimal]:
    """(limit down, limit up) of a day: the previous close ∓ the board's rate, to the fen."""
    rate = limit_rate(symbol)
    return cents(previous_close * (1 - rate)), cents(previous_close * (1 + rate))


@dataclass(frozen=True)
class Quote:
    symbol: str
    current_price: Decimal
    previous_close: Decimal
    volume: int  # shares traded so far in the session
    timestamp: datetime
    limit_down: Decimal
    limit_up: Decimal
    source: str

    @property
    def change(self) -> Decimal:
        return self.current_price - self.previous_close

    @property
    def change_percent(self) -> Decimal:
        return cents(self.change * 100 / self.previous_close) if self.previous_close else Decimal("0.00")


@dataclass(frozen=True)
class Bar:
    day: date
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int


class MarketData(ABC):
    """Where prices come from. `at` is the instant asked about (now, unless a caller replays)."""

    source: str

    @abstractmethod
    def quote(self, symbol: str, at: datetime) -> Quote: ...

    @abstractmethod
    def history(self, symbol: str, start: date, end: date, at: datetime) -> list[Bar]:
        """Daily bars of the trading days in [start, end]; today's bar as it stands at `at`."""

    @abstractmethod
    def index_history(self, code: str, start: date, end: date, at: datetime) -> list[Bar]:
        """Daily bars of an index (the benchmark, e.g. 000300 CSI 300)."""
