"""Counted slots for work in progress (a semaphore with a lease): at most `limit` holders of a
key at once. A holder that dies without releasing frees its slot when the lease runs out.

`limits` counts events over time and has no notion of something still running, hence this
small port; Redis runs the check-and-take as one script, so processes cannot overbook.
"""

import threading
import time
import uuid
from abc import ABC, abstractmethod

import redis


class RunSlots(ABC):
    @abstractmethod
    def acquire(self, key: str, limit: int, lease: float) -> str | None:
        """A token for a free slot of `key`, held for `lease` seconds at most; None when all
        `limit` slots are taken."""

    @abstractmethod
    def release(self, key: str, token: str) -> None:
        """Free the slot `token` holds (nothing happens if it was freed already)."""

    @abstractmethod
    def in_use(self, key: str) -> int:
        """Slots of `key` held now."""


class MemoryRunSlots(RunSlots):
    def __init__(self):
        self._lock = threading.Lock()
        self._holders: dict[str, dict[str, float]] = {}

    def _live(self, key: str) -> dict[str, float]:
        now = time.monotonic()
        holders = {token: until for token, until in self._holders.get(key, {}).items() if until > now}
        self._holders[key] = holders
        return holders

    def acquire(self, key, limit, lease):
        with self._lock:
            holders = self._live(key)
            if len(holders) >= limit:
                return None
            token = uuid.uuid4().hex
            holders[token] = time.monotonic() + lease
            return token

    def release(self, key, token):
        with self._lock:
            holders = self._holders.get(key)
            if holders is not None:
                holders.pop(token, None)
                if not holders:
                    del self._holders[key]

    def in_use(self, key):
        with self._lock:
            return len(self._live(key))


# A sorted set of tokens scored by the end of their lease, on the server's clock.
_ACQUIRE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
    return 0
end
redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""
_IN_USE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
return redis.call('ZCARD', KEYS[1])
"""


class RedisRunSlots(RunSlots):
    def __init__(self, url: str, key_prefix: str):
        self._client = redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)
        self._prefix = key_prefix
        self._acquire = self._client.register_script(_ACQUIRE)
        self._in_use = self._client.register_script(_IN_USE)

    def acquire(self, key, limit, lease):
        token = uuid.uuid4().hex
        taken = self._acquire(keys=[f"{self._prefix}:{key}"], args=[limit, max(1, int(lease * 1000)), token])
        return token if taken else None

    def release(self, key, token):
        self._client.zrem(f"{self._prefix}:{key}", token)

    def in_use(self, key):
        return int(self._in_use(keys=[f"{self._prefix}:{key}"]))
