"""The production market: Eastmoney's public quote API, the source AkShare and efinance read
(push2 `qt/stock/get` for a quote, push2his `qt/stock/kline/get` for daily bars), called with
httpx against configurable base URLs rather than through those libraries."""

from datetime import UTC, date, datetime
from decimal import Decimal

import httpx

from internal.aistack.gateway.errors import ServiceUnavailableException
from internal.exception import NotFoundException

from .base import Bar, MarketData, Quote, cents

SOURCE = "eastmoney"
QUOTE_FIELDS = "f43,f44,f45,f46,f47,f51,f52,f57,f58,f60,f86,f169,f170"
KLINE_FIELDS = "f51,f52,f53,f54,f55,f56,f57"
SHARES_PER_LOT = 100  # Eastmoney counts volume in lots (手)


def secid(symbol: str, index: bool = False) -> str:
    """Eastmoney's market-qualified id: 1.<code> on Shanghai, 0.<code> on Shenzhen. Shanghai's
    indices (000xxx) share codes with Shenzhen stocks, so an index says which it is."""
    if index:
        return f"{'0' if symbol.startswith('399') else '1'}.{symbol}"
    return f"{'1' if symbol.startswith('6') else '0'}.{symbol}"


class EastmoneyMarket(MarketData):
    source = SOURCE

    def __init__(self, quote_base: str, history_base: str, timeout: float):
        self.quote_base = quote_base.rstrip("/")
        self.history_base = history_base.rstrip("/")
        self.timeout = timeout

    def _get(self, url: str, params: dict) -> dict | None:
        try:
            response = httpx.get(url, params=params, timeout=self.timeout)
            response.raise_for_status()
            return response.json().get("data")
        except (httpx.HTTPError, ValueError, AttributeError):
            raise ServiceUnavailableException("行情数据源暂不可用，请稍后重试") from None

    def quote(self, symbol: str, at: datetime) -> Quote:
        data = self._get(
            f"{self.quote_base}/api/qt/stock/get",
            {"secid": secid(symbol), "fltt": "2", "invt": "2", "fields": QUOTE_FIELDS},
        )
        if not data or data.get("f43") in (None, "-"):
            raise NotFoundException("股票不存在或暂无行情")
        try:
            stamp = datetime.fromtimestamp(int(data["f86"]), UTC) if data.get("f86") else at
            return Quote(
                symbol=symbol,
                current_price=cents(data["f43"]),
                previous_close=cents(data["f60"]),
                volume=int(data.get("f47") or 0) * SHARES_PER_LOT,
                timestamp=stamp,
                limit_down=cents(data["f52"]),
                limit_up=cents(data["f51"]),
                source=SOURCE,
            )
        except (KeyError, TypeError, ValueError, ArithmeticError):
            raise ServiceUnavailableException("行情数据源返回了无法识别的数据") from None

    def history(self, symbol: str, start: date, end: date, at: datetime) -> list[Bar]:
        return self._klines(secid(symbol), start, end)

    def index_history(self, code: str, start: date, end: date, at: datetime) -> list[Bar]:
        return self._klines(secid(code, index=True), start, end)

    def _klines(self, market_id: str, start: date, end: date) -> list[Bar]:
        data = self._get(
            f"{self.history_base}/api/qt/stock/kline/get",
            {
                "secid": market_id,
                "fields1": "f1,f2,f3,f4,f5,f6",
                "fields2": KLINE_FIELDS,
                "klt": "101",  # daily
                "fqt": "1",  # forward-adjusted, as AkShare's qfq
                "beg": start.strftime("%Y%m%d"),
                "end": end.strftime("%Y%m%d"),
            },
        )
        if not data:
            raise NotFoundException("股票不存在或暂无行情")
        try:
            return [_bar(line) for line in data.get("klines") or []]
        except (IndexError, TypeError, ValueError, ArithmeticError):
            raise ServiceUnavailableException("行情数据源返回了无法识别的数据") from None


def _bar(line: str) -> Bar:
    """'2025-01-02,11.73,11.43,11.77,11.38,1819596,2081…': date, open, close, high, low, lots, amount."""
    day, opening, close, high, low, lots = line.split(",")[:6]
    prices = (cents(Decimal(value)) for value in (opening, high, low, close))
    return Bar(date.fromisoformat(day), *prices, int(float(lots)) * SHARES_PER_LOT)
