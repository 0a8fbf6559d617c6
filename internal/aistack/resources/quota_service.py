"""Quotas per service ("资源分配"): deployment-wide, so only the administrators of
AISTACK_ADMIN_EMAILS may set them; every quota and the sum over all services must fit in the
machine (logical cores, memory MB)."""

from dataclasses import dataclass

from injector import inject
from sqlalchemy import select

from config import Settings
from internal.aistack.gateway.auth import Caller
from internal.aistack.gateway.errors import invalid_input
from internal.exception import ForbiddenException, NotFoundException
from internal.extension.database import SQLAlchemy
from internal.extension.kv_store import KeyValueStore

from .capacity import Capacity, machine_capacity
from .models import ResourceQuota
from .quotas import ResourceQuotas

ALLOCATION_LOCK = "aistack:resources:allocate"


@inject
@dataclass
class QuotaService:
    db: SQLAlchemy
    settings: Settings
    quotas: ResourceQuotas
    kv_store: KeyValueStore

    def _check_admin(self, caller: Caller) -> None:
        admins = {e.strip().lower() for e in self.settings.aistack_resources.aistack_admin_emails.split(",") if e.strip()}
        if caller.account.email.lower() not in admins:
            raise ForbiddenException("只有管理员(AISTACK_ADMIN_EMAILS)可以设置资源配额")

    def allocate(self, caller: Caller, service: str, cpu: float, memory: int) -> tuple[ResourceQuota, Capacity]:
        self._check_admin(caller)
        capacity, account_id = machine_capacity(), caller.account_id
        self.db.session.commit()  # what the request read so far: the decision reads afresh
        # One allocation at a time, across processes, decides against the others' quotas (row
        # locks alone would let two new services pass together).
        with self.kv_store.lock(ALLOCATION_LOCK, timeout=30), self.db.auto_commit():
            quotas = self.db.session.scalars(select(ResourceQuota)).all()
            others = [q for q in quotas if q.service != service]
            free_cpu = capacity.cores - sum(q.cpu for q in others)
            free_memory = capacity.memory_mb - sum(q.memory for q in others)
            if cpu > free_cpu + 1e-9:
                raise invalid_input("cpu", f"超出机器容量：共{capacity.cores}核，其他服务已分配后剩余{max(free_cpu, 0):g}核")
            if memory > free_memory:
                raise invalid_input("memory", f"超出机器容量：共{capacity.memory_mb}MB，其他服务已分配后剩余{max(free_memory, 0)}MB")
            quota = next((q for q in quotas if q.service == service), None)
            if quota is None:
                quota = ResourceQuota(service=service, cpu=cpu, memory=memory, updated_by=account_id)
                self.db.session.add(quota)
            else:
                quota.cpu, quota.memory, quota.updated_by = cpu, memory, account_id
        self.quotas.invalidate()
        return quota, capacity

    def list(self) -> tuple[list[ResourceQuota], Capacity]:
        return list(self.db.session.scalars(select(ResourceQuota).order_by(ResourceQuota.service))), machine_capacity()

    def release(self, caller: Caller, service: str) -> None:
        self._check_admin(caller)
        with self.db.auto_commit():
            quota = self.db.session.scalar(select(ResourceQuota).where(ResourceQuota.service == service))
            if quota is None:
                raise NotFoundException("该服务没有配额")
            self.db.session.delete(quota)
        self.quotas.invalidate()
