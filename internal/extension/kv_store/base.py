"""The key-value port: expiring keys, counters, leases and cross-process locks, the small part of
Redis the product relies on, so an embedded disk cache can stand in for it."""

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager


class KeyValueStoreUnavailable(Exception):
    """The store could not be reached (Redis down, a connection cut): worth retrying later."""


class KeyValueStore(ABC):
    """The small part of Redis the product relies on, so an embedded store can stand in."""

    @abstractmethod
    def get(self, key: str) -> str | None: ...

    @abstractmethod
    def set(self, key: str, value: str, ttl: int | None = None) -> None:
        """Store `value`; with `ttl` (seconds) it disappears after that long."""

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def incr(self, key: str, ttl: int) -> int:
        """Add one and return the new value; a new counter expires after `ttl` seconds."""

    @abstractmethod
    def reserve(self, key: str, limit: int, ttl: int) -> bool:
        """Count one use of `key` unless `limit` uses are already counted, in one atomic step
        (concurrent callers can never pass the limit together); the count expires `ttl` seconds
        after its first use. True when this use was counted, False when the limit was reached."""

    @abstractmethod
    def lock(self, name: str, timeout: int = 60) -> AbstractContextManager:
        """A lock shared by every process using this store; a holder that dies (or, embedded, that
        holds it too long) loses it after `timeout` seconds."""

    @abstractmethod
    def ping(self) -> bool: ...

    # A lease is a key held by one owner for a short time and renewed while its work runs, so
    # the work of a crashed process is free to be taken over as soon as the lease runs out.

    @abstractmethod
    def acquire_lease(self, key: str, owner: str, ttl: float) -> bool:
        """Take `key` for `owner` for `ttl` seconds unless someone holds it."""

    @abstractmethod
    def renew_lease(self, key: str, owner: str, ttl: float) -> bool:
        """Extend `owner`'s lease to `ttl` seconds from now; False when it is no longer theirs."""

    @abstractmethod
    def release_lease(self, key: str, owner: str) -> None:
        """Give the lease up if `owner` still holds it."""
