"""Open API limits: request rates (the `limits` library) and concurrent run slots, shared
through Redis in production and kept in the process in the embedded profile."""

from limits.storage import MemoryStorage, RedisStorage

from config import Settings

from .request_limiter import RateLimitStatus, RequestLimiter
from .run_slots import MemoryRunSlots, RedisRunSlots, RunSlots

KEY_PREFIX = "llmops:limits"


def create_request_limiter(settings: Settings) -> RequestLimiter:
    if settings.redis.redis_url:
        return RequestLimiter(RedisStorage(settings.redis.redis_url, key_prefix=KEY_PREFIX))
    return RequestLimiter(MemoryStorage())


def create_run_slots(settings: Settings) -> RunSlots:
    if settings.redis.redis_url:
        return RedisRunSlots(settings.redis.redis_url, key_prefix=f"{KEY_PREFIX}:runs")
    return MemoryRunSlots()


__all__ = ["RateLimitStatus", "RequestLimiter", "RunSlots", "create_request_limiter", "create_run_slots"]
