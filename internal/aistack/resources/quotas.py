"""The stored quotas as the platform's limits read them at run time: each process reads them at
start-up and again every AISTACK_RESOURCES_QUOTA_REFRESH seconds, in the background, so that no
chat turn waits for them (a change made in this process is seen at once).
A quota's cores become concurrent runs (AISTACK_RESOURCES_RUNS_PER_CORE each), never above the
limit the platform's own setting gives."""

import logging
import math
import os
import threading
import time

from flask import Flask
from injector import inject, singleton
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from config import Settings
from internal.extension.database import SQLAlchemy

from .models import ResourceQuota

log = logging.getLogger(__name__)

# Platform services a quota may be set for besides the nine systems (`<name>_system`).
AGENT_RUNTIME = "agent_runtime"
INDEXING_WORKER = "indexing_worker"
CODE_SANDBOX = "code_sandbox"

_QUOTAS = select(ResourceQuota.service, ResourceQuota.cpu, ResourceQuota.memory)


@singleton
class ResourceQuotas:
    @inject
    def __init__(self, app: Flask, settings: Settings, db: SQLAlchemy):
        self.app, self.db = app, db
        self.refresh = settings.aistack_resources.aistack_resources_quota_refresh
        self.settings = settings
        self.runs_per_core = settings.aistack_resources.aistack_resources_runs_per_core
        self._lock = threading.Lock()
        # service → (cpu, memory); None until read, and again once this process changed them.
        self._quotas: dict[str, tuple[float, int]] | None = None
        self._read_at = -math.inf
        # Bumped by every change: a read that began before it must not be kept.
        self._generation = 0
        self._refreshing = False
        # A forked process (a prefork Celery worker) has no refresh thread of its parent's.
        os.register_at_fork(after_in_child=self._forget_parent)

    def load(self) -> None:
        """Reads the quotas at start-up. Its connection is closed, not pooled: a prefork Celery
        worker forks after start-up, and its children must not share one."""
        try:
            with self.app.app_context(), self.db.engine.connect() as connection:
                connection.detach()
                rows = connection.execute(_QUOTAS).all()
        except DBAPIError as exc:
            # Not migrated yet (`flask db upgrade` starts the app too) or not reachable: start-up
            # goes on, and the first use reads them.
            log.info("resource quotas not read at start-up: %s", type(exc.orig).__name__)
            return
        self._keep(rows, self._generation)

    def invalidate(self) -> None:
        with self._lock:
            self._quotas, self._generation = None, self._generation + 1

    def quota(self, service: str) -> tuple[float, int] | None:
        """(cpu cores, memory MB) of the service, or None when it has no quota."""
        quotas = self._quotas
        if quotas is None:
            quotas = self._read()
        elif time.monotonic() - self._read_at >= self.refresh:
            self._refresh_in_background()  # this use goes on with what was read last
        return quotas.get(service)

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

    def _read(self) -> dict[str, tuple[float, int]]:
        generation = self._generation
        with self.app.app_context():  # its own session: the caller's transaction is untouched
            rows = self.db.session.execute(_QUOTAS).all()
            self.db.session.remove()
        return self._keep(rows, generation)

    def _keep(self, rows, generation: int) -> dict[str, tuple[float, int]]:
        quotas = {service: (cpu, memory) for service, cpu, memory in rows}
        with self._lock:
            if generation == self._generation:
                self._quotas, self._read_at = quotas, time.monotonic()
        return quotas

    def _refresh_in_background(self) -> None:
        with self._lock:
            if self._refreshing:
                return
            self._refreshing = True
        threading.Thread(target=self._refresh, name="resource-quotas-refresh", daemon=True).start()

    def _refresh(self) -> None:
        try:
            self._read()
        except Exception as exc:  # the quotas read last stay for another interval
            log.warning("reading resource quotas failed: %s", exc)
            with self._lock:
                self._read_at = time.monotonic()
        finally:
            with self._lock:
                self._refreshing = False

    def _forget_parent(self) -> None:
        self._lock, self._refreshing = threading.Lock(), False
