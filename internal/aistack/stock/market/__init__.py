"""The market data port and the factory that picks its backend from the settings."""

from config import Settings

from .base import Bar, MarketData, Quote, check_symbol, price_limits
from .session import TradingClock


def create_market_data(settings: Settings) -> MarketData:
    stock = settings.aistack_stock
    clock = TradingClock(stock.stock_trading_hours)
    if stock.stock_market_source == "eastmoney":
        from .eastmoney import EastmoneyMarket

        return EastmoneyMarket(stock.stock_eastmoney_quote_base, stock.stock_eastmoney_history_base, stock.stock_market_timeout)
    from .simulated import SimulatedMarket

    return SimulatedMarket(clock)


__all__ = ["Bar", "MarketData", "Quote", "TradingClock", "check_symbol", "create_market_data", "price_limits"]
