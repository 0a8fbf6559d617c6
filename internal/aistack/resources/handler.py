"""Resource management's HTTP handlers: parse (by @aistack_endpoint), call one service
method, answer in AI Stack's envelope."""

from dataclasses import dataclass

from injector import inject

from config import Settings
from internal.aistack.gateway.auth import current_caller
from internal.aistack.gateway.endpoint import aistack_endpoint
from internal.aistack.gateway.envelope import success

from .capacity import MachineSampler
from .performance_service import PerformanceService
from .quota_service import QuotaService
from .quotas import ResourceQuotas
from .schemas import AllocateReq, AllocationsResp, CapacityResp, MetricsResp, PerformanceQuery, PerformanceResp, QuotaResp, Service

RESOURCES = "resources"


@inject
@dataclass
class ResourcesHandler:
    settings: Settings
    quota_service: QuotaService
    quotas: ResourceQuotas
    performance_service: PerformanceService

    def __post_init__(self):
        self.sampler = MachineSampler(self.settings.storage_dir)

    @aistack_endpoint(RESOURCES, resp=MetricsResp, tags=("资源监控",))
    def metrics(self):
        """获取系统指标：CPU、内存、磁盘（psutil）与本服务进程自身"""
        return success(self.sampler.sample())

    @aistack_endpoint(RESOURCES, body=AllocateReq, resp=QuotaResp, tags=("资源分配",))
    def allocate(self, body: AllocateReq):
        """设置服务的资源配额（全局生效，仅管理员；超出机器容量为400）"""
        quota, _ = self.quota_service.allocate(current_caller(), body.service.value, body.cpu, body.memory)
        return success(QuotaResp.of(quota, enforced=self.quotas.enforced(quota.service, quota.cpu)))

    @aistack_endpoint(RESOURCES, resp=AllocationsResp, tags=("资源分配",))
    def allocations(self):
        """获取全部配额与机器容量"""
        quotas, capacity = self.quota_service.list()
        return success(AllocationsResp(
            capacity=CapacityResp.of(capacity, quotas),
            quotas=[QuotaResp.of(q, enforced=self.quotas.enforced(q.service, q.cpu)) for q in quotas],
        ))  # fmt: skip

    @aistack_endpoint(RESOURCES, tags=("资源分配",))
    def release(self, service: str):
        """删除服务的配额（仅管理员），恢复平台设置的限制"""
        if service not in Service.__members__:
            service = ""  # an unknown service has no quota: 404 below
        self.quota_service.release(current_caller(), service)
        return success({})

    @aistack_endpoint(RESOURCES, query=PerformanceQuery, resp=PerformanceResp, tags=("性能监控",))
    def performance(self, query: PerformanceQuery):
        """各系统与接口在时间段内的请求数、错误率与p50/p95/p99延迟"""
        period = query.period.value
        since, routes = self.performance_service.figures(period, query.system.value if query.system else None)
        return success(PerformanceResp.of(period, since, routes))
