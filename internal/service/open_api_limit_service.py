"""The limits of the open API: requests per API key (OPENAPI_RATE_LIMIT) and runs of one app
at once (OPENAPI_MAX_CONCURRENT_RUNS). Over a limit, the request answers 429 `fail` with
`Retry-After`; rate-limited requests also carry `X-RateLimit-Limit/Remaining/Reset`.

A channel that runs an app for an API-key caller takes a run slot before it starts the run:

    slot = limit_service.acquire_run_slot(app_id)   # TooManyRequestsException when all are taken
    ... start the run; in the run's `finally`: slot.release()

or, around work that ends within the request, `with limit_service.acquire_run_slot(app_id): ...`.
"""

import threading
import uuid
from dataclasses import dataclass, field

from injector import inject

from config import Settings
from internal.aistack.resources.quotas import AGENT_RUNTIME, ResourceQuotas
from internal.exception import TooManyRequestsException
from internal.extension.rate_limit import RateLimitStatus, RequestLimiter, RunSlots

# A run that outlives its deadline by this much has lost its process; its slot frees itself.
_LEASE_MARGIN = 60.0
# A run slot frees when a run ends, which nothing predicts: ask the client to retry soon.
RUN_SLOT_RETRY_AFTER = 1


def rate_limit_headers(status: RateLimitStatus) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(status.limit),
        "X-RateLimit-Remaining": str(status.remaining),
        "X-RateLimit-Reset": str(int(status.reset_at)),
    }


@dataclass
class RunSlot:
    """One of an app's concurrent run slots; `release()` frees it (again: nothing happens)."""

    run_slots: RunSlots
    key: str
    token: str
    _released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        if not self._released.is_set():
            self._released.set()
            self.run_slots.release(self.key, self.token)

    def __enter__(self) -> "RunSlot":
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()


@inject
@dataclass
class OpenApiLimitService:
    settings: Settings
    request_limiter: RequestLimiter
    run_slots: RunSlots
    quotas: ResourceQuotas

    def count_request(self, api_key_id: uuid.UUID) -> RateLimitStatus:
        """Count one request made with the key; TooManyRequestsException when its rate is used up."""
        status = self.request_limiter.hit(self.settings.open_api.openapi_rate_limit, "api_key", str(api_key_id))
        if not status.allowed:
            raise TooManyRequestsException(
                "API秘钥请求过于频繁，请稍后重试",
                headers={**rate_limit_headers(status), "Retry-After": str(status.retry_after)},
            )
        return status

    def acquire_run_slot(self, app_id: uuid.UUID) -> RunSlot:
        """Take one of the app's run slots (release it when the run ends, or use it as a context manager)."""
        key = f"app:{app_id}"
        lease = self.settings.agent.agent_timeout + _LEASE_MARGIN
        # The agent runtime's quota (AI Stack resource management) may lower the setting.
        limit = self.quotas.concurrent_runs(AGENT_RUNTIME, self.settings.open_api.openapi_max_concurrent_runs)
        token = self.run_slots.acquire(key, limit, lease)
        if token is None:
            raise TooManyRequestsException(
                "该应用同时运行的对话过多，请稍后重试", headers={"Retry-After": str(RUN_SLOT_RETRY_AFTER)}
            )
        return RunSlot(self.run_slots, key, token)

    def runs_in_progress(self, app_id: uuid.UUID) -> int:
        return self.run_slots.in_use(f"app:{app_id}")
