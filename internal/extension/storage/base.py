"""The object-storage port: uploaded files stored and read back by key, whichever backend holds
them (a local folder embedded, Tencent COS in production)."""

from abc import ABC, abstractmethod
from typing import BinaryIO


class StorageError(Exception):
    """The backend could not do what was asked; the detail is in the message and the log."""


class ObjectNotFoundError(StorageError):
    pass


class InvalidKeyError(StorageError, ValueError):
    """A key that could escape its place: absolute, with `..`, backslashes or empty segments."""


class ObjectStorage(ABC):
    """Where uploaded files' bytes live, addressed by keys like `2024/05/14/<uuid>.png`."""

    @abstractmethod
    def save(self, key: str, data: bytes | BinaryIO, content_type: str, private: bool = False) -> None:
        """Store the object; a `private` one must not be readable at its public URL."""

    @abstractmethod
    def load(self, key: str) -> bytes:
        """The object's bytes; `ObjectNotFoundError` when there is none."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing one is not an error."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def public_url(self, key: str) -> str:
        """An absolute URL anyone may fetch the object from (used in <img> tags)."""

    def presigned_url(self, key: str, expires_in: int) -> str | None:
        """A URL of the backend itself that serves the object for `expires_in` seconds; None
        when the backend has none (the API then signs a link to its own serving route)."""
        return None


def check_key(key: str) -> str:
    segments = key.split("/")
    if (
        not key
        or len(key) > 512
        or "\\" in key
        or "\x00" in key
        or any(segment in ("", ".", "..") for segment in segments)
    ):
        raise InvalidKeyError(f"invalid object key: {key!r}")
    return key
