"""Resource management's routes (aistack-api.md "资源管理系统"), under /aistack/resources and
on port 8018. The Prometheus exporter is `GET /metrics` on the main server (prometheus.py)."""

from dataclasses import dataclass

from injector import inject

from .handler import ResourcesHandler


@inject
@dataclass
class ResourcesRoutes:
    handler: ResourcesHandler

    def routes(self) -> list[tuple]:
        return [
            ("GET", "/api/resources/metrics", self.handler.metrics),
            ("POST", "/api/resources/allocate", self.handler.allocate),
            ("GET", "/api/resources/allocations", self.handler.allocations),
            ("DELETE", "/api/resources/allocations/<service>", self.handler.release),
            ("GET", "/api/resources/performance", self.handler.performance),
        ]
