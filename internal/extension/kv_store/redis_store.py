import redis

from .base import KeyValueStore


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
        self.client = redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)
        self._reserve = self.client.register_script(_RESERVE_SCRIPT)

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

    def reserve(self, key, limit, ttl):
        return bool(self._reserve(keys=[key], args=[limit, ttl]))

    def lock(self, name, timeout=60):
        return self.client.lock(f"lock:{name}", timeout=timeout, blocking_timeout=timeout)

    def ping(self):
        return bool(self.client.ping())
