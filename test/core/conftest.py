"""Fixtures shared by the engine's tests."""

from collections.abc import Iterator

import pytest

from internal.extension.run_queue import RunQueue
from internal.extension.run_queue.in_process_queue import InProcessRunQueue
from internal.extension.run_queue.redis_queue import RedisRunQueue


@pytest.fixture(params=["embedded", "redis"])
def run_queue(request) -> Iterator[RunQueue]:
    """Each run-queue backend: in-process, and Redis (the suite's `redis_url`)."""
    if request.param == "embedded":
        yield InProcessRunQueue()
        return
    backend = RedisRunQueue(request.getfixturevalue("redis_url"))
    yield backend
    backend.shutdown()
