"""Object storage for uploaded files: Tencent COS in production, a local folder embedded."""

from config import Settings
from config.settings import ObjectStorageBackend

from .base import InvalidKeyError, ObjectNotFoundError, ObjectStorage, StorageError


def create_object_storage(settings: Settings) -> ObjectStorage:
    config = settings.object_storage
    if config.storage_backend is ObjectStorageBackend.COS:
        from .cos_storage import CosStorage

        return CosStorage(config)
    from .local_storage import LocalStorage

    return LocalStorage(settings.storage_dir / "uploads", config.api_public_url)


__all__ = ["InvalidKeyError", "ObjectNotFoundError", "ObjectStorage", "StorageError", "create_object_storage"]
