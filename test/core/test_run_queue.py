"""The run event queue, run against the embedded backend and real Redis: ordering, idle pings,
stop requests across threads and processes (two Redis queues stand for two API processes), and
no lost events under concurrency."""

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from config.settings import RedisSettings
from internal.core.agent.events import TERMINAL_EVENTS, AgentEvent, AgentEventType
from internal.extension.run_queue import RunQueue, QueueSignal, create_run_queue
from internal.extension.run_queue.in_process_queue import InProcessRunQueue
from internal.extension.run_queue.redis_queue import RedisRunQueue
from test.conftest import make_settings

OWNER = "account-1"
TTL = 60.0
# Every wait in these tests is bounded by this, far above what a healthy backend needs.
GENEROUS = 2.0


@pytest.fixture
def task_id(run_queue) -> uuid.UUID:
    task_id = uuid.uuid4()
    run_queue.open(task_id, OWNER, TTL)
    return task_id


def message(answer: str, task_id: uuid.UUID | None = None) -> AgentEvent:
    return AgentEvent(event=AgentEventType.AGENT_MESSAGE, answer=answer, task_id=task_id, tool_input={"n": answer})


def end(task_id: uuid.UUID | None = None) -> AgentEvent:
    return AgentEvent(event=AgentEventType.AGENT_END, task_id=task_id, total_token_count=42, total_price=0.5)


def collect(run_queue: RunQueue, task_id: uuid.UUID, idle_timeout: float = 0.05, within: float = GENEROUS) -> list:
    """Everything `listen` yields except IDLE, failing if it has not ended `within` seconds."""
    deadline = time.monotonic() + within
    items = []
    for item in run_queue.listen(task_id, idle_timeout):
        if isinstance(item, list):
            assert item, "an empty batch"
            items += item
        elif item is not QueueSignal.IDLE:
            items.append(item)
        assert time.monotonic() < deadline, f"listen did not end; got {items}"
    return items


def wait_until(condition, within: float = GENEROUS) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


class Listener:
    """Listens to a task on a thread of its own, as the streaming response does."""

    def __init__(self, run_queue: RunQueue, task_id: uuid.UUID, idle_timeout: float):
        self.items: list = []
        self.thread = threading.Thread(target=self._run, args=(run_queue, task_id, idle_timeout), daemon=True)
        self.thread.start()

    def _run(self, run_queue, task_id, idle_timeout):
        for item in run_queue.listen(task_id, idle_timeout):
            if isinstance(item, list):
                self.items += item
            elif item is not QueueSignal.IDLE:
                self.items.append(item)

    def join(self, within: float = GENEROUS) -> list:
        self.thread.join(within)
        assert not self.thread.is_alive(), f"listener still running; got {self.items}"
        return self.items


# -- events ---------------------------------------------------------------------------------


def test_events_published_before_listening_arrive_in_order(run_queue, task_id):
    published = [message("a", task_id), message("b", task_id), message("c", task_id), end(task_id)]
    for event in published:
        run_queue.publish(task_id, event)

    assert collect(run_queue, task_id) == published


@pytest.mark.parametrize("terminal", sorted(TERMINAL_EVENTS, key=lambda kind: kind.value))
def test_listen_ends_after_a_terminal_event(run_queue, task_id, terminal):
    first, last = message("a", task_id), AgentEvent(event=terminal, task_id=task_id)
    for event in [first, last, message("after the end", task_id)]:
        run_queue.publish(task_id, event)

    assert collect(run_queue, task_id) == [first, last]


def test_idle_is_yielded_while_nothing_arrives(run_queue, task_id):
    stream = run_queue.listen(task_id, idle_timeout=0.05)
    assert next(stream) is QueueSignal.IDLE
    assert next(stream) is QueueSignal.IDLE

    late = message("late", task_id)
    run_queue.publish(task_id, late)
    run_queue.publish(task_id, end(task_id))
    items = [event for item in stream if item is not QueueSignal.IDLE for event in item]
    assert [item.answer for item in items] == ["late", ""]
    assert items[0] == late


def test_events_waiting_for_a_listener_come_as_one_batch(run_queue, task_id):
    stream = run_queue.listen(task_id, idle_timeout=0.05)
    assert next(stream) is QueueSignal.IDLE
    first = [message("a", task_id), message("b", task_id)]
    for event in first:
        run_queue.publish(task_id, event)
    assert next(stream) == first

    rest = [message("c", task_id), end(task_id)]
    for event in rest:
        run_queue.publish(task_id, event)
    assert [item for item in stream if item is not QueueSignal.IDLE] == [rest]


def test_a_batch_window_gathers_what_arrives_soon_after_a_batch(run_queue, task_id):
    stream = run_queue.listen(task_id, idle_timeout=5.0, batch_window=0.3)
    first = message("first", task_id)
    run_queue.publish(task_id, first)
    assert next(stream) == [first]

    # Published while the listener waits out its window: they come together, once it is over.
    gathered = [message("a", task_id), message("b", task_id)]
    for event in gathered:
        run_queue.publish(task_id, event)
    started = time.monotonic()
    assert next(stream) == gathered
    assert time.monotonic() - started > 0.1


def test_a_terminal_event_or_a_stop_cuts_the_batch_window_short(run_queue, task_id):
    stream = run_queue.listen(task_id, idle_timeout=5.0, batch_window=30.0)
    run_queue.publish(task_id, message("first", task_id))
    next(stream)

    done = end(task_id)
    run_queue.publish(task_id, done)
    started = time.monotonic()
    assert next(stream) == [done]
    assert time.monotonic() - started < GENEROUS

    other = uuid.uuid4()
    run_queue.open(other, OWNER, TTL)
    stream = run_queue.listen(other, idle_timeout=5.0, batch_window=30.0)
    run_queue.publish(other, message("first", other))
    next(stream)
    assert run_queue.stop(other, OWNER)
    started = time.monotonic()
    assert next(stream) is QueueSignal.STOP_REQUESTED
    assert time.monotonic() - started < GENEROUS


def test_tasks_are_isolated(run_queue):
    first, second = uuid.uuid4(), uuid.uuid4()
    run_queue.open(first, OWNER, TTL)
    run_queue.open(second, OWNER, TTL)
    first_event = message("one", first)
    second_events = [message("two", second), end(second)]
    run_queue.publish(first, first_event)
    assert run_queue.stop(first, OWNER)
    for event in second_events:
        run_queue.publish(second, event)

    assert collect(run_queue, second) == second_events
    assert collect(run_queue, first) == [first_event, QueueSignal.STOP_REQUESTED]
    assert not run_queue.is_stopped(second)


def test_concurrent_tasks_lose_no_events(run_queue):
    per_task = 20
    task_ids = [uuid.uuid4() for _ in range(50)]
    for task_id in task_ids:
        run_queue.open(task_id, OWNER, TTL)
    expected = {task_id: [*(message(f"{task_id}-{n}", task_id) for n in range(per_task)), end(task_id)] for task_id in task_ids}

    def publish_all(task_id):
        for event in expected[task_id]:
            run_queue.publish(task_id, event)

    listeners = {task_id: Listener(run_queue, task_id, idle_timeout=0.2) for task_id in task_ids}
    publishers = [threading.Thread(target=publish_all, args=(task_id,), daemon=True) for task_id in task_ids]
    for publisher in publishers:
        publisher.start()
    for publisher in publishers:
        publisher.join(10)

    for task_id, listener in listeners.items():
        assert listener.join(within=10) == expected[task_id]


# -- stop requests --------------------------------------------------------------------------


def test_stop_wakes_a_blocked_listener(run_queue, task_id):
    before = message("before the stop", task_id)
    run_queue.publish(task_id, before)
    # Far longer than the test may take: only the stop can end this listener in time.
    listener = Listener(run_queue, task_id, idle_timeout=30)
    assert wait_until(lambda: listener.items == [before])

    stopped_at = time.monotonic()
    assert run_queue.stop(task_id, OWNER)

    assert listener.join() == [before, QueueSignal.STOP_REQUESTED]
    assert time.monotonic() - stopped_at < GENEROUS


def test_stop_before_listening_is_seen_after_earlier_events(run_queue, task_id):
    before = message("before the stop", task_id)
    run_queue.publish(task_id, before)
    assert run_queue.stop(task_id, OWNER)

    assert collect(run_queue, task_id) == [before, QueueSignal.STOP_REQUESTED]


def test_is_stopped_turns_true_after_stop_and_stays_true(run_queue, task_id):
    # Asked once first, so a backend that caches the answer has a stale False to refresh.
    assert not run_queue.is_stopped(task_id)

    assert run_queue.stop(task_id, OWNER)

    assert wait_until(lambda: run_queue.is_stopped(task_id))
    assert run_queue.is_stopped(task_id)


def test_stop_by_another_owner_or_for_an_unknown_task_changes_nothing(run_queue, task_id):
    assert not run_queue.stop(task_id, "account-2")
    assert not run_queue.stop(uuid.uuid4(), OWNER)

    done = end(task_id)
    run_queue.publish(task_id, done)
    assert collect(run_queue, task_id) == [done]
    assert not run_queue.is_stopped(task_id)


def test_late_stop_by_the_owner_after_close_returns_true(run_queue, task_id):
    run_queue.publish(task_id, end(task_id))
    collect(run_queue, task_id)
    run_queue.close(task_id)

    assert run_queue.stop(task_id, OWNER)
    assert not run_queue.stop(task_id, "account-2")


# -- Redis only: several API processes --------------------------------------------------------


@pytest.fixture
def redis_queues(redis_url) -> Iterator[tuple[RedisRunQueue, RedisRunQueue]]:
    """Two queues with their own connections, standing for two API processes."""
    first, second = RedisRunQueue(redis_url), RedisRunQueue(redis_url)
    yield first, second
    first.shutdown()
    second.shutdown()


def test_another_process_can_stop_a_task(redis_queues):
    runner_process, other_process = redis_queues
    task_id = uuid.uuid4()
    runner_process.open(task_id, OWNER, TTL)
    assert not runner_process.is_stopped(task_id)
    listener = Listener(runner_process, task_id, idle_timeout=30)

    assert not other_process.stop(task_id, "account-2")
    assert other_process.stop(task_id, OWNER)

    assert listener.join() == [QueueSignal.STOP_REQUESTED]
    assert wait_until(lambda: runner_process.is_stopped(task_id))


def test_a_stop_from_another_process_reaches_a_run_that_nobody_listens_to(redis_queues):
    runner_process, other_process = redis_queues
    task_id = uuid.uuid4()
    runner_process.open(task_id, OWNER, TTL)

    assert other_process.stop(task_id, OWNER)

    # The runner learns it from its own process's view, as it asks per streamed chunk.
    assert wait_until(lambda: runner_process.is_stopped(task_id))
    assert not other_process.is_stopped(task_id)


def test_close_keeps_the_owner_record_and_a_late_stop_changes_nothing(redis_url):
    run_queue = RedisRunQueue(redis_url)
    task_id = uuid.uuid4()
    run_queue.open(task_id, OWNER, ttl=3600)
    run_queue.publish(task_id, end(task_id))
    run_queue.close(task_id)
    assert run_queue.stop(task_id, OWNER)
    assert not run_queue.stop(task_id, "account-2")

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    assert client.pttl(f"run_task:{task_id}") > 60_000
    assert not client.exists(f"run_task:{task_id}:stopped")
    assert not run_queue.is_stopped(task_id)
    client.close()
    run_queue.shutdown()


# -- factory --------------------------------------------------------------------------------


def test_factory_chooses_the_backend_from_settings(tmp_path):
    assert isinstance(create_run_queue(make_settings(tmp_path)), InProcessRunQueue)
    settings = make_settings(tmp_path, redis=RedisSettings(_env_file=None, redis_url="redis://127.0.0.1:6379/15"))
    assert isinstance(create_run_queue(settings), RedisRunQueue)
