"""Quotes and daily bars as the API serves them, from whichever market data backend is bound."""

from dataclasses import dataclass
from datetime import UTC, datetime

from injector import inject

from internal.aistack.gateway.errors import invalid_input

from .market import MarketData, check_symbol
from .market.base import Bar, Quote
from .schemas import MAX_HISTORY_DAYS, HistoryQuery


@inject
@dataclass
class MarketService:
    market: MarketData

    def quote(self, symbol: str) -> Quote:
        return self.market.quote(check_symbol(symbol), datetime.now(UTC))

    def history(self, symbol: str, query: HistoryQuery) -> list[Bar]:
        check_symbol(symbol)
        if query.end < query.start:
            raise invalid_input("end", "结束日期不能早于开始日期")
        if (query.end - query.start).days > MAX_HISTORY_DAYS:
            raise invalid_input("end", f"一次最多查询{MAX_HISTORY_DAYS}天的数据")
        return self.market.history(symbol, query.start, query.end, datetime.now(UTC))
