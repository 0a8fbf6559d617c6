"""Key-value store with expiry and locks: Redis in production, a disk cache embedded."""

from config import Settings

from .base import KeyValueStore, KeyValueStoreUnavailable


def create_kv_store(settings: Settings) -> KeyValueStore:
    if settings.redis.redis_url:
        from .redis_store import RedisStore

        return RedisStore(settings.redis.redis_url)
    from .embedded_store import EmbeddedStore

    return EmbeddedStore(settings.storage_dir / "kv")


__all__ = ["KeyValueStore", "KeyValueStoreUnavailable", "create_kv_store"]
