"""The key-value store port on both backends: the embedded disk cache and Redis."""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from internal.extension.kv_store import KeyValueStore
from internal.extension.kv_store.embedded_store import EmbeddedStore
from internal.extension.kv_store.redis_store import RedisStore
from test.conftest import TEST_REDIS_URL, services_unavailable


@pytest.fixture(params=["embedded", "redis"])
def kv_store(request, tmp_path) -> KeyValueStore:
    if request.param == "redis":
        try:
            redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=3).ping()
        except redis.RedisError as exc:
            services_unavailable(f"Redis is not reachable: {exc}")
        return RedisStore(TEST_REDIS_URL)
    return EmbeddedStore(tmp_path / "kv")


def test_reserve_counts_uses_up_to_the_limit(kv_store):
    key = f"test-reserve:{uuid.uuid4()}"
    assert [kv_store.reserve(key, 3, ttl=60) for _ in range(5)] == [True, True, True, False, False]
    assert kv_store.get(key) in (3, "3")  # refused uses are not counted
    kv_store.delete(key)
    assert kv_store.reserve(key, 3, ttl=60)


def test_concurrent_reservations_never_pass_the_limit(kv_store):
    key = f"test-reserve:{uuid.uuid4()}"
    callers = 32
    start = threading.Barrier(callers)

    def reserve(_):
        start.wait()
        return kv_store.reserve(key, 5, ttl=60)

    with ThreadPoolExecutor(max_workers=callers) as pool:
        results = list(pool.map(reserve, range(callers)))
    assert results.count(True) == 5


def test_reservations_expire_with_the_window_of_the_first_use(kv_store):
    key = f"test-reserve:{uuid.uuid4()}"
    assert kv_store.reserve(key, 1, ttl=1)
    assert not kv_store.reserve(key, 1, ttl=60)  # a refused use does not stretch the window
    time.sleep(1.3)
    assert kv_store.reserve(key, 1, ttl=1)
