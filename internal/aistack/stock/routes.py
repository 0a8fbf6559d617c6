"""The stock trading system's routes, under /aistack/stock and at /api/... on port 8015."""

from dataclasses import dataclass

from injector import inject

from .handler import MarketHandler, OrderHandler, PortfolioHandler, StrategyHandler


@inject
@dataclass
class StockRoutes:
    market: MarketHandler
    orders: OrderHandler
    portfolio: PortfolioHandler
    strategies: StrategyHandler

    def routes(self) -> list[tuple]:
        return [
            ("GET", "/api/stocks/<symbol>/quote", self.market.quote),
            ("GET", "/api/stocks/<symbol>/history", self.market.history),
            ("POST", "/api/orders", self.orders.place_order),
            ("GET", "/api/orders", self.orders.list_orders),
            ("GET", "/api/orders/<uuid:order_id>", self.orders.get_order),
            ("DELETE", "/api/orders/<uuid:order_id>", self.orders.cancel_order),
            ("GET", "/api/portfolio/positions", self.portfolio.positions),
            ("GET", "/api/portfolio/performance", self.portfolio.performance),
            ("POST", "/api/strategies", self.strategies.create_strategy),
            ("GET", "/api/strategies", self.strategies.list_strategies),
            ("POST", "/api/strategies/backtest", self.strategies.backtest),
            ("GET", "/api/strategies/<uuid:strategy_id>", self.strategies.get_strategy),
            ("PUT", "/api/strategies/<uuid:strategy_id>", self.strategies.update_strategy),
            ("DELETE", "/api/strategies/<uuid:strategy_id>", self.strategies.delete_strategy),
        ]
