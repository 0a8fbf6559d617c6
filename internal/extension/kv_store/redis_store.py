import redis

from .base import KeyValueStore


class RedisStore(KeyValueStore):
    def __init__(self, url: str):
        self.client = redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)

    def get(self, key):
        return self.client.get(key)

    def set(self, key, value, ttl=None):
        self.client.set(key, value, ex=ttl if ttl and ttl > 0 else None)

    def delete(self, key):
        self.client.delete(key)

    def exists(self, key):
        return bool(self.client.exists(key))

    def incr(self, key, ttl):
        with self.client.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, ttl, nx=True)
            value, _ = pipe.execute()
        return int(value)

    def lock(self, name, timeout=60):
        return self.client.lock(f"lock:{name}", timeout=timeout, blocking_timeout=timeout)

    def ping(self):
        return bool(self.client.ping())
