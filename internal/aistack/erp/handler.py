"""The ERP's HTTP handlers: parse (by @aistack_endpoint), call one service method, answer in
AI Stack's envelope."""

from dataclasses import dataclass

from flask import Response
from injector import inject

from internal.aistack.gateway.auth import current_account_id
from internal.aistack.gateway.endpoint import aistack_endpoint
from internal.aistack.gateway.envelope import created, success

from .customer_service import ErpCustomerService
from .finance_service import ErpFinanceService
from .inventory_service import ErpInventoryService
from .order_service import ErpOrderService
from .product_service import ErpProductService
from .production_service import ErpProductionService
from .schemas import (
    CUSTOMER_LIST,
    MOVEMENT_LIST,
    ORDER_LIST,
    PLAN_LIST,
    PRODUCT_LIST,
    STOCK_LIST,
    CustomerListQuery,
    CustomerReq,
    CustomerResp,
    CustomerUpdateReq,
    MovementResp,
    OrderListQuery,
    OrderReq,
    OrderResp,
    OrderStatusReq,
    OverviewQuery,
    OverviewResp,
    PlanReq,
    PlanResp,
    ProductReq,
    ProductResp,
    ProductUpdateReq,
    ProgressReq,
    ReportReq,
    ReportResp,
    StockInReq,
    StockOutReq,
    StockResp,
)

ERP = "erp"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@inject
@dataclass
class ErpCustomerHandler:
    service: ErpCustomerService

    @aistack_endpoint(ERP, body=CustomerReq, resp=CustomerResp, status=201, tags=("客户管理",))
    def create_customer(self, body: CustomerReq):
        """创建客户"""
        return created(CustomerResp.of(self.service.create(current_account_id(), body)))

    @aistack_endpoint(ERP, listing=CUSTOMER_LIST, query=CustomerListQuery, resp=CustomerResp, tags=("客户管理",))
    def list_customers(self, query: CustomerListQuery):
        """获取客户列表"""
        rows, pagination = self.service.list(current_account_id(), query)
        return success([CustomerResp.of(row) for row in rows], pagination=pagination)

    @aistack_endpoint(ERP, resp=CustomerResp, tags=("客户管理",))
    def get_customer(self, customer_id: int):
        """获取客户"""
        return success(CustomerResp.of(self.service.get(current_account_id(), customer_id)))

    @aistack_endpoint(ERP, body=CustomerUpdateReq, resp=CustomerResp, tags=("客户管理",))
    def update_customer(self, customer_id: int, body: CustomerUpdateReq):
        """更新客户"""
        return success(CustomerResp.of(self.service.update(current_account_id(), customer_id, body)))

    @aistack_endpoint(ERP, tags=("客户管理",))
    def delete_customer(self, customer_id: int):
        """删除客户（有未完成订单时拒绝）"""
        self.service.delete(current_account_id(), customer_id)
        return success({"customer_id": customer_id, "deleted": True})


@inject
@dataclass
class ErpProductHandler:
    service: ErpProductService

    @aistack_endpoint(ERP, body=ProductReq, resp=ProductResp, status=201, tags=("产品管理",))
    def create_product(self, body: ProductReq):
        """创建产品"""
        return created(ProductResp.of(self.service.create(current_account_id(), body)))

    @aistack_endpoint(ERP, listing=PRODUCT_LIST, resp=ProductResp, tags=("产品管理",))
    def list_products(self, query):
        """获取产品列表"""
        rows, pagination = self.service.list(current_account_id(), query)
        return success([ProductResp.of(row) for row in rows], pagination=pagination)

    @aistack_endpoint(ERP, resp=ProductResp, tags=("产品管理",))
    def get_product(self, product_id: int):
        """获取产品"""
        return success(ProductResp.of(self.service.get(current_account_id(), product_id)))

    @aistack_endpoint(ERP, body=ProductUpdateReq, resp=ProductResp, tags=("产品管理",))
    def update_product(self, product_id: int, body: ProductUpdateReq):
        """更新产品"""
        return success(ProductResp.of(self.service.update(current_account_id(), product_id, body)))


@inject
@dataclass
class ErpOrderHandler:
    service: ErpOrderService

    @aistack_endpoint(ERP, body=OrderReq, resp=OrderResp, status=201, tags=("订单管理",))
    def create_order(self, body: OrderReq):
        """创建订单"""
        return created(OrderResp.of(self.service.create(current_account_id(), body)))

    @aistack_endpoint(ERP, listing=ORDER_LIST, query=OrderListQuery, resp=OrderResp, tags=("订单管理",))
    def list_orders(self, query: OrderListQuery):
        """获取订单列表"""
        rows, pagination = self.service.list(current_account_id(), query)
        return success([OrderResp.of(row) for row in rows], pagination=pagination)

    @aistack_endpoint(ERP, resp=OrderResp, tags=("订单管理",))
    def get_order(self, order_id: int):
        """获取订单（含状态历史）"""
        return success(OrderResp.of(self.service.get(current_account_id(), order_id)))

    @aistack_endpoint(ERP, body=OrderStatusReq, resp=OrderResp, tags=("订单管理",))
    def change_status(self, order_id: int, body: OrderStatusReq):
        """更新订单状态"""
        return success(OrderResp.of(self.service.change_status(current_account_id(), order_id, body)))


@inject
@dataclass
class ErpProductionHandler:
    service: ErpProductionService

    @aistack_endpoint(ERP, body=PlanReq, resp=PlanResp, status=201, tags=("生产管理",))
    def create_plan(self, body: PlanReq):
        """创建生产计划"""
        return created(PlanResp.of(self.service.create(current_account_id(), body)))

    @aistack_endpoint(ERP, listing=PLAN_LIST, resp=PlanResp, tags=("生产管理",))
    def list_plans(self, query):
        """获取生产计划列表"""
        rows, pagination = self.service.list(current_account_id(), query)
        return success([PlanResp.of(row) for row in rows], pagination=pagination)

    @aistack_endpoint(ERP, resp=PlanResp, tags=("生产管理",))
    def get_plan(self, plan_id: int):
        """获取生产计划"""
        return success(PlanResp.of(self.service.get(current_account_id(), plan_id)))

    @aistack_endpoint(ERP, body=ProgressReq, resp=PlanResp, tags=("生产管理",))
    def progress(self, plan_id: int, body: ProgressReq):
        """更新生产进度"""
        return success(PlanResp.of(self.service.progress(current_account_id(), plan_id, body)))


@inject
@dataclass
class ErpInventoryHandler:
    service: ErpInventoryService

    @aistack_endpoint(ERP, listing=STOCK_LIST, resp=StockResp, tags=("库存管理",))
    def summary(self, query):
        """获取库存概览"""
        rows, pagination = self.service.summary(current_account_id(), query)
        return success(rows, pagination=pagination)

    @aistack_endpoint(ERP, body=StockInReq, resp=MovementResp, status=201, tags=("库存管理",))
    def stock_in(self, body: StockInReq):
        """入库操作"""
        return created(MovementResp.of(self.service.stock_in(current_account_id(), body)))

    @aistack_endpoint(ERP, body=StockOutReq, resp=MovementResp, status=201, tags=("库存管理",))
    def stock_out(self, body: StockOutReq):
        """出库操作"""
        return created(MovementResp.of(self.service.stock_out(current_account_id(), body)))

    @aistack_endpoint(ERP, listing=MOVEMENT_LIST, resp=MovementResp, tags=("库存管理",))
    def movements(self, query):
        """库存流水"""
        rows, pagination = self.service.movements(current_account_id(), query)
        return success([MovementResp.of(row) for row in rows], pagination=pagination)


@inject
@dataclass
class ErpFinanceHandler:
    service: ErpFinanceService

    @aistack_endpoint(ERP, query=OverviewQuery, resp=OverviewResp, tags=("财务管理",))
    def overview(self, query: OverviewQuery):
        """获取财务概览"""
        return success(self.service.overview(current_account_id(), query))

    @aistack_endpoint(ERP, body=ReportReq, resp=ReportResp, status=201, tags=("财务管理",))
    def create_report(self, body: ReportReq):
        """生成财务报表"""
        return created(self._report(self.service.create_report(current_account_id(), body)))

    @aistack_endpoint(ERP, resp=ReportResp, tags=("财务管理",))
    def get_report(self, report_id: int):
        """获取财务报表"""
        return success(self._report(self.service.get_report(current_account_id(), report_id)))

    @aistack_endpoint(ERP, raw_response=XLSX, tags=("财务管理",))
    def download_report(self, report_id: int):
        """下载财务报表（Excel）"""
        content, filename = self.service.spreadsheet(current_account_id(), report_id)
        return Response(content, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    def _report(self, report) -> ReportResp:
        lines, total = self.service.lines_of(report)
        return ReportResp(report_id=report.id, type=report.type, start_date=report.start_date,
                          end_date=report.end_date, lines=lines, total=total, created_at=report.created_at,
                          download_url=f"/api/finance/reports/{report.id}/download")
