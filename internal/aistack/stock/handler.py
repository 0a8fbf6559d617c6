"""HTTP handlers of the stock trading system: parse, one service call, the envelope."""

import uuid
from dataclasses import dataclass

from injector import inject

from internal.aistack.gateway.auth import current_account_id
from internal.aistack.gateway.endpoint import aistack_endpoint
from internal.aistack.gateway.envelope import created, iso, success

from .market_service import MarketService
from .portfolio_service import PortfolioService
from .schemas import (
    BacktestReq,
    BacktestResp,
    HistoryQuery,
    HistoryResp,
    OrderResp,
    PerformanceQuery,
    PerformanceResp,
    PlaceOrderReq,
    PortfolioResp,
    QuoteResp,
    StrategyDeletedResp,
    StrategyReq,
    StrategyResp,
)
from .strategy_service import STRATEGY_LIST, StrategyService
from .trading_service import ORDER_LIST, TradingService

SYSTEM = "stock"


@inject
@dataclass
class MarketHandler:
    market_service: MarketService

    @aistack_endpoint(SYSTEM, resp=QuoteResp, tags=("行情数据",))
    def quote(self, symbol: str):
        """Real-time quote of an A-share (simulated market: `source` is `simulated`)."""
        quote = self.market_service.quote(symbol)
        return success(
            QuoteResp(
                symbol=quote.symbol,
                current_price=quote.current_price,
                change=quote.change,
                change_percent=quote.change_percent,
                volume=quote.volume,
                previous_close=quote.previous_close,
                limit_up=quote.limit_up,
                limit_down=quote.limit_down,
                timestamp=iso(quote.timestamp),
                source=quote.source,
            )
        )

    @aistack_endpoint(SYSTEM, query=HistoryQuery, resp=HistoryResp, tags=("行情数据",))
    def history(self, symbol: str, query: HistoryQuery):
        """Daily OHLCV bars of the trading days in [start, end]."""
        bars = self.market_service.history(symbol, query)
        return success(
            {
                "symbol": symbol,
                "start": query.start.isoformat(),
                "end": query.end.isoformat(),
                "bars": [
                    {
                        "date": bar.day.isoformat(),
                        "open": bar.open,
                        "high": bar.high,
                        "low": bar.low,
                        "close": bar.close,
                        "volume": bar.volume,
                    }
                    for bar in bars
                ],
                "source": self.market_service.market.source,
            }
        )


@inject
@dataclass
class OrderHandler:
    trading_service: TradingService

    @aistack_endpoint(SYSTEM, body=PlaceOrderReq, resp=OrderResp, status=201, tags=("交易操作",))
    def place_order(self, body: PlaceOrderReq):
        """Place an order; a market order fills at once while the market is open."""
        return created(OrderResp.of(self.trading_service.place_order(current_account_id(), body)))

    @aistack_endpoint(SYSTEM, resp=OrderResp, tags=("交易操作",))
    def cancel_order(self, order_id: uuid.UUID):
        """Cancel an open order, releasing the cash or shares it held."""
        return success(OrderResp.of(self.trading_service.cancel_order(current_account_id(), order_id)))

    @aistack_endpoint(SYSTEM, resp=OrderResp, tags=("交易操作",))
    def get_order(self, order_id: uuid.UUID):
        return success(OrderResp.of(self.trading_service.get_order(current_account_id(), order_id)))

    @aistack_endpoint(SYSTEM, listing=ORDER_LIST, resp=OrderResp, tags=("交易操作",))
    def list_orders(self, query):
        orders, pagination = self.trading_service.list_orders(current_account_id(), query)
        return success([OrderResp.of(order) for order in orders], pagination=pagination)


@inject
@dataclass
class PortfolioHandler:
    portfolio_service: PortfolioService

    @aistack_endpoint(SYSTEM, resp=PortfolioResp, tags=("投资组合",))
    def positions(self):
        """Positions at the current price, with cash."""
        return success(PortfolioResp.model_validate(self.portfolio_service.positions(current_account_id())))

    @aistack_endpoint(SYSTEM, query=PerformanceQuery, resp=PerformanceResp, tags=("投资组合",))
    def performance(self, query: PerformanceQuery):
        """Return, annualised return, volatility, Sharpe and max drawdown beside the benchmark."""
        return success(PerformanceResp.model_validate(self.portfolio_service.performance(current_account_id(), query.period)))


@inject
@dataclass
class StrategyHandler:
    strategy_service: StrategyService

    @aistack_endpoint(SYSTEM, body=StrategyReq, resp=StrategyResp, status=201, tags=("策略回测",))
    def create_strategy(self, body: StrategyReq):
        """Save a strategy: ma_crossover {short_window, long_window}, rsi_mean_reversion
        {period, oversold, overbought} or buy_and_hold {}."""
        return created(StrategyResp.of(self.strategy_service.create(current_account_id(), body)))

    @aistack_endpoint(SYSTEM, listing=STRATEGY_LIST, resp=StrategyResp, tags=("策略回测",))
    def list_strategies(self, query):
        strategies, pagination = self.strategy_service.list(current_account_id(), query)
        return success([StrategyResp.of(s) for s in strategies], pagination=pagination)

    @aistack_endpoint(SYSTEM, resp=StrategyResp, tags=("策略回测",))
    def get_strategy(self, strategy_id: uuid.UUID):
        return success(StrategyResp.of(self.strategy_service.get(current_account_id(), strategy_id)))

    @aistack_endpoint(SYSTEM, body=StrategyReq, resp=StrategyResp, tags=("策略回测",))
    def update_strategy(self, strategy_id: uuid.UUID, body: StrategyReq):
        return success(StrategyResp.of(self.strategy_service.update(current_account_id(), strategy_id, body)))

    @aistack_endpoint(SYSTEM, resp=StrategyDeletedResp, tags=("策略回测",))
    def delete_strategy(self, strategy_id: uuid.UUID):
        self.strategy_service.delete(current_account_id(), strategy_id)
        return success(StrategyDeletedResp(strategy_id=strategy_id, deleted=True))

    @aistack_endpoint(SYSTEM, body=BacktestReq, resp=BacktestResp, tags=("策略回测",))
    def backtest(self, body: BacktestReq):
        """Run a saved strategy over [start_date, end_date]: equity curve, trades and metrics."""
        return success(BacktestResp.model_validate(self.strategy_service.backtest(current_account_id(), body)))
