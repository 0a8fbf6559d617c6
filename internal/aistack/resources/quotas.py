"""The stored quotas as the platform's limits read them at run time: each process keeps them
for AISTACK_RESOURCES_QUOTA_REFRESH seconds (a change made in this process is seen at once).
A quota's cores become concurrent runs (AISTACK_RESOURCES_RUNS_PER_CORE each), never above the
limit the platform's own setting gives."""

import math
import threading
import time

from flask import Flask
from injector import inject, singleton
from sqlalchemy import select

from config import Settings
from internal.extension.database import SQLAlchemy

from .models import ResourceQuota

# Platform services a quota may be set for besides the nine systems (`<name>_system`).
AGENT_RUNTIME = "agent_runtime"
INDEXING_WORKER = "indexing_worker"
CODE_SANDBOX = "code_sandbox"


@singleton
class ResourceQuotas:
    @inject
    def __init__(self, app: Flask, settings: Settings, db: SQLAlchemy):
        self.app, self.db = app, db
        self.refresh = settings.aistack_resources.aistack_resources_quota_refresh
        self.settings = settings
        self.runs_per_core = settings.aistack_resources.aistack_resources_runs_per_core
        self._lock = threading.Lock()
        self._quotas: dict[str, tuple[float, int]] = {}
        self._read_at = -math.inf

    def invalidate(self) -> None:
        with self._lock:
            self._read_at = -math.inf

    def quota(self, service: str) -> tuple[float, int] | None:
        """(cpu cores, memory MB) of the service, or None when it has no quota."""
        with self._lock:
            if time.monotonic() - self._read_at >= self.refresh:
                with self.app.app_context():  # its own session: the caller's transaction is untouched
                    rows = self.db.session.execute(select(ResourceQuota.service, ResourceQuota.cpu, ResourceQuota.memory)).all()
                    self.db.session.remove()
                self._quotas = {service: (cpu, memory) for service, cpu, memory in rows}
                self._read_at = time.monotonic()
            return self._quotas.get(service)

    def concurrent_runs(self, service: str, ceiling: int) -> int:
        """Runs the service may execute at once: its setting's `ceiling`, lowered by its quota."""
        quota = self.quota(service)
        if quota is None:
            return ceiling
        return max(1, min(ceiling, math.floor(quota[0] * self.runs_per_core)))

    def enforced(self, service: str, cpu: float) -> dict[str, int]:
        """What a quota of `cpu` cores sets for the service (shown with the quota)."""
        runs = max(1, math.floor(cpu * self.runs_per_core))
        if service == AGENT_RUNTIME:
            return {
                "openapi_max_concurrent_runs": min(runs, self.settings.open_api.openapi_max_concurrent_runs),
                "agent_tool_workers": min(runs, self.settings.agent.agent_tool_workers),
            }
        return {}
