"""One run-stream mechanism for everything that streams a run (agents; later workflows and
text-to-speech): kept run threads, the first event at once, keep-alive pings, the deadline, stop
requests and the event queue between the run's thread and the response.

The caller says what its events are (the first/ping event, how the stream ends early, how waiting
events merge); `RunStreamer` owns when they are sent. The run publishes through a `RunSink` and
hands its outcome to the sink's `finish`, which publishes the last event and closes the task.
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from flask import Flask
from injector import inject, singleton

from config import Settings
from internal.extension.run_queue import QueueSignal, RunEvent, RunQueue

logger = logging.getLogger(__name__)

EventT = TypeVar("EventT", bound=RunEvent)

# How often a quiet stream wakes to check the run's deadline.
DEADLINE_CHECK_SECONDS = 1.0
# Run threads are named this, and `run-<task id>` while they run a task.
RUN_THREAD_NAME = "run"
# A run waits (at most this many seconds) until its stream has sent the first event: started
# at once, it would hold the interpreter lock while the request thread tries to send it.
PING_HEAD_START = 0.05
# A stream sends a fast run's events at most this often, merged (fewer writes and wake-ups, no
# difference a reader could see); the first event after a pause and the end go out at once.
STREAM_BATCH_WINDOW = 0.01
# A task's queue outlives the run's deadline by this much, for late listeners and stops.
TASK_TTL_MARGIN = 600


@contextmanager
def _thread_named(name: str) -> Iterator[None]:
    """Names the current run thread after its task while it runs it (logs, thread dumps)."""
    thread = threading.current_thread()
    thread.name = name
    try:
        yield
    finally:
        thread.name = RUN_THREAD_NAME


class RunSink(Generic[EventT]):
    """A run's view of its task: where its events go, whether it was stopped, and where its
    outcome goes once (`on_finish` turns it into the last event, which ends the stream)."""

    def __init__(self, queue: RunQueue, task_id: uuid.UUID, on_finish: Callable[[Any], EventT]):
        self.queue, self.task_id, self._on_finish = queue, task_id, on_finish

    def publish(self, event: EventT) -> None:
        self.queue.publish(self.task_id, event)

    def is_stopped(self) -> bool:
        return self.queue.is_stopped(self.task_id)

    def finish(self, result: Any) -> None:
        try:
            self.queue.publish(self.task_id, self._on_finish(result))
        finally:
            self.queue.close(self.task_id)


@singleton
class RunStreamer:
    @inject
    def __init__(self, app: Flask, settings: Settings, queue: RunQueue):
        self.app, self.queue = app, queue
        self.timeout = settings.agent.agent_timeout
        self.ping_interval = settings.agent.agent_ping_interval
        # Runs go to kept threads: `Thread.start` waits until the new thread has run, which
        # under the GIL can hold the request (and its first event) for milliseconds.
        self._runs = ThreadPoolExecutor(
            max_workers=settings.agent.agent_max_concurrent_runs, thread_name_prefix=RUN_THREAD_NAME
        )

    def deadline(self) -> float:
        """When a run starting now must end (monotonic clock)."""
        return time.monotonic() + self.timeout

    def sink(self, task_id: uuid.UUID, on_finish: Callable[[Any], EventT]) -> RunSink[EventT]:
        return RunSink(self.queue, task_id, on_finish)

    def start(
        self,
        task_id: uuid.UUID,
        owner: str,
        work: Callable[[], None],
        *,
        deadline: float,
        ping: Callable[[], EventT] | None,
        end_early: Callable[[bool], EventT],
        on_error: Callable[[Exception], EventT],
        merge: Callable[[list[EventT]], Iterable[EventT]] = lambda events: events,
    ) -> Iterator[EventT]:
        """Starts `work` on a run thread (in an app context) and returns its stream.

        `ping` makes the first event and the keep-alive pings (None: a stream without either, whose
        first event is the run's own); `end_early(timed_out)` ends the
        run from the stream on a stop (False) or past the deadline (True) and returns the last
        event; `on_error` is the last event of a run whose work raised; `merge` joins events
        that waited together. `owner` is who may stop the task.
        """
        # The queue exists before the run starts and before anyone listens (see RunQueue).
        self.queue.open(task_id, owner, ttl=max(deadline - time.monotonic(), 0.0) + TASK_TTL_MARGIN)
        first_sent = threading.Event()
        self._runs.submit(self._run, task_id, work, on_error, first_sent)
        return self._stream(task_id, owner, deadline, ping, end_early, merge, first_sent)

    def stop(self, task_id: uuid.UUID, owner: str) -> bool:
        """Asks the task to stop; False when `owner` has no such task."""
        return self.queue.stop(task_id, owner)

    def _stream(self, task_id, owner, deadline, ping, end_early, merge, first_sent) -> Iterator:
        # The first event goes out before the run does anything, with the ids a client needs.
        try:
            if ping is not None:
                yield ping()
        finally:
            first_sent.set()
        ping_interval = self.ping_interval if ping is not None else float("inf")
        last_sent = time.monotonic()
        idle_timeout = min(ping_interval, DEADLINE_CHECK_SECONDS)
        for item in self.queue.listen(task_id, idle_timeout, batch_window=STREAM_BATCH_WINDOW):
            now = time.monotonic()
            if item is QueueSignal.STOP_REQUESTED:
                yield end_early(False)
                return
            if item is QueueSignal.IDLE:
                # A run stuck in a slow call past its deadline: end the stream, stop the run.
                if now > deadline + DEADLINE_CHECK_SECONDS:
                    self.queue.stop(task_id, owner)
                    yield end_early(True)
                    return
                if ping is not None and now - last_sent >= ping_interval:
                    last_sent = now
                    yield ping()
                continue
            last_sent = now
            yield from merge(item)

    def _run(self, task_id: uuid.UUID, work: Callable[[], None], on_error: Callable[[Exception], Any], first_sent) -> None:
        first_sent.wait(PING_HEAD_START)
        try:
            with _thread_named(f"run-{task_id}"), self.app.app_context():
                work()
        except Exception as exc:  # logged here: a pool thread's exception would vanish with its future
            logger.exception("Run %s failed", task_id)
            # Ends a stream still waiting (a closed task ignores it).
            self.queue.publish(task_id, on_error(exc))
            self.queue.close(task_id)
