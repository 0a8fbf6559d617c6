from pathlib import Path

import diskcache

from .base import KeyValueStore


class EmbeddedStore(KeyValueStore):
    """diskcache keeps entries in SQLite under storage/, so they survive restarts and are
    shared by every thread and process of the embedded profile."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.cache = diskcache.Cache(str(directory))

    def get(self, key):
        return self.cache.get(key)

    def set(self, key, value, ttl=None):
        self.cache.set(key, value, expire=ttl if ttl and ttl > 0 else None)

    def delete(self, key):
        self.cache.delete(key)

    def exists(self, key):
        return key in self.cache

    def incr(self, key, ttl):
        with self.cache.transact():
            if key not in self.cache:
                self.cache.set(key, 0, expire=ttl)
            return self.cache.incr(key)

    def reserve(self, key, limit, ttl):
        with self.cache.transact():
            used = self.cache.get(key, 0)
            if used >= limit:
                return False
            if used == 0:
                self.cache.set(key, 1, expire=ttl)
            else:
                self.cache.incr(key)  # keeps the expiry set by the first use
            return True

    def lock(self, name, timeout=60):
        return diskcache.Lock(self.cache, f"lock:{name}", expire=timeout)

    def ping(self):
        return True

    def acquire_lease(self, key, owner, ttl):
        return bool(self.cache.add(key, owner, expire=ttl))

    def renew_lease(self, key, owner, ttl):
        with self.cache.transact():
            if self.cache.get(key) != owner:
                return False
            self.cache.set(key, owner, expire=ttl)
            return True

    def release_lease(self, key, owner):
        with self.cache.transact():
            if self.cache.get(key) == owner:
                self.cache.delete(key)
