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
    def lock(self, name: str, timeout: int = 60) -> AbstractContextManager:
        """A lock shared by every process using this store, released after `timeout` at the latest."""

    @abstractmethod
    def ping(self) -> bool: ...
