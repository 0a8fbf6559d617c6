"""The stock trading system's routes, under /aistack/stock and at /api/... on port 8015."""

from dataclasses import dataclass

from injector import inject

from .handler import MarketHandler, OrderHandler, PortfolioHandler


@inject
@dataclass
class StockRoutes:
    market: MarketHandler
    orders: OrderHandler
    portfolio: PortfolioHandler

    def routes(self) -> list[tuple]:
        return [
            ("GET", "/api/stocks/<symbol>/quote", self.market.quote),
            ("GET", "/api/stocks/<symbol>/history", self.market.history),
            ("POST", "/api/orders", self.orders.place),
            ("GET", "/api/orders", self.orders.list),
            ("GET", "/api/orders/<uuid:order_id>", self.orders.get),
            ("DELETE", "/api/orders/<uuid:order_id>", self.orders.cancel),
            ("GET", "/api/portfolio/positions", self.portfolio.positions),
            ("GET", "/api/portfolio/performance", self.portfolio.performance),
        ]
