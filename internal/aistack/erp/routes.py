"""The ERP's routes (aistack-api.md "ERP企业管理系统"), under /aistack/erp and on port 8013."""

from dataclasses import dataclass

from injector import inject

from .handler import (
    ErpCustomerHandler,
    ErpFinanceHandler,
    ErpInventoryHandler,
    ErpOrderHandler,
    ErpProductHandler,
    ErpProductionHandler,
)


@inject
@dataclass
class ErpRoutes:
    customers: ErpCustomerHandler
    products: ErpProductHandler
    orders: ErpOrderHandler
    production: ErpProductionHandler
    inventory: ErpInventoryHandler
    finance: ErpFinanceHandler

    def routes(self) -> list[tuple]:
        return [
            ("POST", "/api/customers", self.customers.create_customer),
            ("GET", "/api/customers", self.customers.list_customers),
            ("GET", "/api/customers/<int:customer_id>", self.customers.get_customer),
            ("PUT", "/api/customers/<int:customer_id>", self.customers.update_customer),
            ("DELETE", "/api/customers/<int:customer_id>", self.customers.delete_customer),
            ("POST", "/api/products", self.products.create_product),
            ("GET", "/api/products", self.products.list_products),
            ("GET", "/api/products/<int:product_id>", self.products.get_product),
            ("PUT", "/api/products/<int:product_id>", self.products.update_product),
            ("POST", "/api/orders", self.orders.create_order),
            ("GET", "/api/orders", self.orders.list_orders),
            ("GET", "/api/orders/<int:order_id>", self.orders.get_order),
            ("PUT", "/api/orders/<int:order_id>/status", self.orders.change_status),
            ("POST", "/api/production/plans", self.production.create_plan),
            ("GET", "/api/production/plans", self.production.list_plans),
            ("GET", "/api/production/plans/<int:plan_id>", self.production.get_plan),
            ("PUT", "/api/production/plans/<int:plan_id>/progress", self.production.progress),
            ("GET", "/api/inventory/summary", self.inventory.summary),
            ("POST", "/api/inventory/stock-in", self.inventory.stock_in),
            ("POST", "/api/inventory/stock-out", self.inventory.stock_out),
            ("GET", "/api/inventory/movements", self.inventory.movements),
            ("GET", "/api/finance/overview", self.finance.overview),
            ("POST", "/api/finance/reports", self.finance.create_report),
            ("GET", "/api/finance/reports/<int:report_id>", self.finance.get_report),
            ("GET", "/api/finance/reports/<int:report_id>/download", self.finance.download_report),
        ]
