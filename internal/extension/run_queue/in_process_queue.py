"""Run queue in memory: the embedded profile's, and how events travel in production too (the
Redis queue adds shared owners and stops on top)."""

import queue
import threading
import time
import uuid
from dataclasses import dataclass, field

from .base import RunQueue, QueueSignal

# Put into a task's events so a listener blocked in `get` wakes up at once.
_STOP = object()
# A runner whose event ends a listener's wait of more than this hands it the interpreter at
# once (the first answer chunk after the model's silence; the last event always). Otherwise a
# runner busy with the next chunks (a fast model) keeps the GIL for up to the switch interval
# (5 ms) while the event waits; handing it over on every event would cost more than it saves.
HANDOFF_AFTER_WAITING = 0.002
SWEEP_INTERVAL = 10.0


@dataclass
class _Task:
    owner: str
    ttl: float
    expires_at: float
    stopped: threading.Event = field(default_factory=threading.Event)
    events: queue.SimpleQueue | None = field(default_factory=queue.SimpleQueue)  # None once closed
    listener_waiting_since: float | None = None
    # Set by a terminal event or a stop: ends a listener's batch window early.
    urgent: threading.Event = field(default_factory=threading.Event)


def _next_waiting(events: queue.SimpleQueue):
    try:
        return events.get_nowait()
    except queue.Empty:
        return None


def _mark_stopped(task: _Task) -> None:
    """Stops the task and wakes its listener; the caller holds the queue's lock."""
    if task.events is not None and not task.stopped.is_set():
        task.events.put(_STOP)
    task.stopped.set()
    task.urgent.set()


class InProcessRunQueue(RunQueue):
    """Tasks live in memory until their ttl; expired ones are dropped when a task opens, at most
    once per SWEEP_INTERVAL (a sweep looks at every task).

    Listening to an unknown or closed task ends at once, since nothing can arrive any more.
    """

    def __init__(self):
        self._tasks: dict[uuid.UUID, _Task] = {}
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def open(self, task_id, owner, ttl):
        now = time.monotonic()
        with self._lock:
            if now >= self._next_sweep:
                self._next_sweep = now + SWEEP_INTERVAL
                for expired in [key for key, task in self._tasks.items() if task.expires_at <= now]:
                    del self._tasks[expired]
            self._tasks[task_id] = _Task(owner=owner, ttl=ttl, expires_at=now + ttl)

    def publish(self, task_id, event):
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None or task.events is None:
                return
            now = time.monotonic()
            # A run that keeps publishing stays alive.
            task.expires_at = now + task.ttl
            # Only the event that ends the listener's wait: with more queued, it is already awake.
            waiting_since = task.listener_waiting_since if task.events.empty() else None
            task.events.put(event)
            if event.is_terminal:
                task.urgent.set()
        # The last event is awaited whatever the listener was doing.
        if event.is_terminal or (waiting_since is not None and now - waiting_since > HANDOFF_AFTER_WAITING):
            time.sleep(0)  # releases the GIL to the listener just woken

    def listen(self, task_id, idle_timeout, batch_window=0.0):
        with self._lock:
            task = self._tasks.get(task_id)
            events = task.events if task else None
        if events is None:
            return
        while True:
            task.listener_waiting_since = time.monotonic()
            try:
                item = events.get(timeout=idle_timeout)
            except queue.Empty:
                yield QueueSignal.IDLE
                continue
            finally:
                task.listener_waiting_since = None
            batch = []
            while item is not None:
                if item is _STOP:
                    if batch:
                        yield batch
                    yield QueueSignal.STOP_REQUESTED
                    return
                batch.append(item)
                if item.is_terminal:
                    yield batch
                    return
                item = _next_waiting(events)
            yield batch
            if batch_window:
                task.urgent.wait(batch_window)

    def stop(self, task_id, owner):
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None or task.owner != owner or task.expires_at <= time.monotonic():
                return False
            _mark_stopped(task)
        return True

    def is_stopped(self, task_id):
        task = self._tasks.get(task_id)
        return task is not None and task.stopped.is_set()

    def close(self, task_id):
        with self._lock:
            task = self._tasks.get(task_id)
            if task is not None:
                task.events = None

    def _stop_here(self, task_id: uuid.UUID) -> None:
        """Marks a task of this process stopped and wakes its listener; unknown ids are ignored."""
        with self._lock:
            task = self._tasks.get(task_id)
            if task is not None:
                _mark_stopped(task)
