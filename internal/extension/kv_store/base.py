from abc import ABC, abstractmethod
from contextlib import AbstractContextManager


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
        """A lock shared by every process using this store, released after `timeout` at the latest."""

    @abstractmethod
    def ping(self) -> bool: ...
