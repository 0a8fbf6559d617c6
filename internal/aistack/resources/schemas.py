"""Resource management's request and response shapes."""

from enum import Enum

from pydantic import BaseModel, Field

from internal.aistack.gateway.envelope import IsoTime, RowResp, iso
from internal.aistack.systems import SYSTEMS
from internal.schema.common import JsonInt, RequestModel

from .capacity import Capacity
from .models import ResourceQuota
from .quotas import AGENT_RUNTIME, CODE_SANDBOX, INDEXING_WORKER
from .recorder import PLATFORM
from .request_stats import RouteFigures

# The services a quota may be set for: the nine systems as the document names them
# ("rag_system") and the platform's own workers.
Service = Enum(  # type: ignore[misc]
    "Service", {name: name for name in [f"{s.name}_system" for s in SYSTEMS] + [AGENT_RUNTIME, INDEXING_WORKER, CODE_SANDBOX]}, type=str
)
Period = Enum("Period", {"1h": "1h", "24h": "24h", "7d": "7d"}, type=str)  # type: ignore[misc]
SystemName = Enum("SystemName", {name: name for name in [s.name for s in SYSTEMS] + [PLATFORM]}, type=str)  # type: ignore[misc]


class CpuFigures(BaseModel):
    usage_percent: float
    cores: int


class UsageFigures(BaseModel):
    used: int = Field(description="字节")
    total: int = Field(description="字节")
    usage_percent: float


class ProcessFigures(BaseModel):
    pid: int
    rss: int = Field(description="常驻内存，字节")
    cpu_percent: float
    threads: int
    open_files: int
    uptime_seconds: float


class MetricsResp(BaseModel):
    cpu: CpuFigures
    memory: UsageFigures = Field(description="used = total - available")
    disk: UsageFigures = Field(description="存储目录所在磁盘")
    process: ProcessFigures = Field(description="本服务进程自身")


class AllocateReq(RequestModel):
    service: Service
    cpu: float = Field(gt=0, le=4096, allow_inf_nan=False, strict=True, description="CPU核数，可为小数")
    memory: JsonInt = Field(gt=0, le=64 * 1024 * 1024, description="内存，MB")


class QuotaResp(RowResp):
    service: str
    cpu: float
    memory: int
    enforced: dict[str, int] = Field(description="配额在平台中生效的限制(如 openapi_max_concurrent_runs)；空：仅记录")
    updated_at: IsoTime | None


class CapacityResp(BaseModel):
    cores: int
    memory: int = Field(description="MB")
    allocated_cpu: float
    allocated_memory: int

    @classmethod
    def of(cls, capacity: Capacity, quotas: list[ResourceQuota]) -> "CapacityResp":
        return cls(
            cores=capacity.cores, memory=capacity.memory_mb,
            allocated_cpu=round(sum(q.cpu for q in quotas), 3), allocated_memory=sum(q.memory for q in quotas),
        )  # fmt: skip


class AllocationsResp(BaseModel):
    capacity: CapacityResp
    quotas: list[QuotaResp]


class PerformanceQuery(RequestModel):
    period: Period = Period("1h")
    system: SystemName | None = None


class LatencyFigures(BaseModel):
    avg: float
    p50: float
    p95: float
    p99: float


class EndpointPerformance(BaseModel):
    endpoint: str
    method: str
    requests: int
    errors: int = Field(description="5xx")
    error_rate: float
    client_error_rate: float = Field(description="4xx")
    latency_ms: LatencyFigures

    @classmethod
    def of(cls, endpoint: str, method: str, figures: RouteFigures) -> "EndpointPerformance":
        return cls(
            endpoint=endpoint,
            method=method,
            requests=figures.count,
            errors=figures.errors,
            error_rate=_rate(figures.errors, figures.count),
            client_error_rate=_rate(figures.client_errors, figures.count),
            latency_ms=latency_of(figures),
        )


class SystemPerformance(BaseModel):
    system: str
    requests: int
    error_rate: float
    latency_ms: LatencyFigures
    endpoints: list[EndpointPerformance]


class PerformanceResp(BaseModel):
    period: str
    since: str
    systems: list[SystemPerformance]

    @classmethod
    def of(cls, period: str, since, routes: dict[tuple[str, str, str], RouteFigures]) -> "PerformanceResp":
        by_system: dict[str, list[tuple[str, str, RouteFigures]]] = {}
        for (system, endpoint, method), figures in sorted(routes.items()):
            by_system.setdefault(system, []).append((endpoint, method, figures))
        systems = []
        for system, endpoints in by_system.items():
            total = RouteFigures()
            for _, _, figures in endpoints:
                for bucket, count in figures.histogram.items():
                    total.histogram[bucket] = total.histogram.get(bucket, 0) + count
                total.count += figures.count
                total.errors += figures.errors
                total.latency_ms += figures.latency_ms
            systems.append(SystemPerformance(
                system=system, requests=total.count, error_rate=_rate(total.errors, total.count), latency_ms=latency_of(total),
                endpoints=[EndpointPerformance.of(e, m, f) for e, m, f in endpoints],
            ))  # fmt: skip
        return cls(period=period, since=iso(since), systems=systems)


def latency_of(figures: RouteFigures) -> LatencyFigures:
    return LatencyFigures(
        avg=round(figures.latency_ms / figures.count, 3) if figures.count else 0.0,
        p50=round(figures.percentile(0.5), 3),
        p95=round(figures.percentile(0.95), 3),
        p99=round(figures.percentile(0.99), 3),
    )


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0
