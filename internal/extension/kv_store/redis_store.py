"""The production key-value store: Redis, with connection failures reported as KeyValueStoreUnavailable."""

import logging
import threading
from contextlib import contextmanager

import redis
from redis.exceptions import LockNotOwnedError

from .base import KeyValueStore, KeyValueStoreUnavailable

# A dead connection fails within these many seconds instead of hanging a build step forever.
SOCKET_TIMEOUT = 10
CONNECT_TIMEOUT = 5
# How long a lock waiter waits at least for a live holder (seconds).
LOCK_WAIT = 120

logger = logging.getLogger(__name__)

_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


@contextmanager
def _reachable():
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise KeyValueStoreUnavailable(str(exc)) from exc


class _Lock:
    """redis-py's lock, kept alive while its holder runs: its expiry is pushed back every third of
    `timeout`, so a long holder keeps it and a dead one (a killed worker) frees it after `timeout`.
    Connection failures are translated (acquire and release both talk to Redis)."""

    def __init__(self, lock, timeout: float):
        self._lock = lock
        self._timeout = timeout
        self._released = threading.Event()

    def __enter__(self):
        with _reachable():
            entered = self._lock.__enter__()
        self._released.clear()
        threading.Thread(target=self._keep_alive, daemon=True, name="llmops-lock-keepalive").start()
        return entered

    def _keep_alive(self) -> None:
        while not self._released.wait(self._timeout / 3):
            try:
                self._lock.extend(self._timeout, replace_ttl=True)
            except redis.RedisError:
                return  # lost or unreachable: the holder finds out when it releases

    def __exit__(self, *exc_info):
        self._released.set()
        with _reachable():
            try:
                return self._lock.__exit__(*exc_info)
            except LockNotOwnedError:
                # Held past its timeout and expired; what the holder wrote is committed anyway.
                logger.warning("Lock %s expired before it was released", self._lock.name)
                return None


# Runs as one step on the server: read, compare and count cannot interleave with another caller.
_RESERVE_SCRIPT = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then
    return 0
end
if redis.call('INCR', KEYS[1]) == 1 then
    redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 1
"""


class RedisStore(KeyValueStore):
    def __init__(self, url: str):
        self.client = redis.Redis.from_url(
            url,
            decode_responses=True,
            health_check_interval=30,
            socket_timeout=SOCKET_TIMEOUT,
            socket_connect_timeout=CONNECT_TIMEOUT,
        )
        self._reserve = self.client.register_script(_RESERVE_SCRIPT)
        self._renew = self.client.register_script(_RENEW)
        self._release = self.client.register_script(_RELEASE)

    def get(self, key):
        with _reachable():
            return self.client.get(key)

    def set(self, key, value, ttl=None):
        with _reachable():
            self.client.set(key, value, ex=ttl if ttl and ttl > 0 else None)

    def delete(self, key):
        with _reachable():
            self.client.delete(key)

    def exists(self, key):
        with _reachable():
            return bool(self.client.exists(key))

    def incr(self, key, ttl):
        with _reachable(), self.client.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, ttl, nx=True)
            value, _ = pipe.execute()
        return int(value)

    def reserve(self, key, limit, ttl):
        with _reachable():
            return bool(self._reserve(keys=[key], args=[limit, ttl]))

    def lock(self, name, timeout=60):
        # A waiter outlasts a holder that died (its lock expires after `timeout`) and waits a
        # while for a live one.
        blocking = max(timeout * 2, LOCK_WAIT)
        return _Lock(self.client.lock(f"lock:{name}", timeout=timeout, blocking_timeout=blocking), timeout)

    def ping(self):
        with _reachable():
            return bool(self.client.ping())

    def acquire_lease(self, key, owner, ttl):
        with _reachable():
            return bool(self.client.set(key, owner, px=int(ttl * 1000), nx=True))

    def renew_lease(self, key, owner, ttl):
        with _reachable():
            return bool(self._renew(keys=[key], args=[owner, int(ttl * 1000)]))

    def release_lease(self, key, owner):
        with _reachable():
            self._release(keys=[key], args=[owner])
