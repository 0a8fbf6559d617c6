"""Agent queue for the embedded profile, where runner and listener share one process."""

import queue
import threading
import time
import uuid
from dataclasses import dataclass, field

from .base import AgentQueue, QueueSignal

# Put into a task's events so a listener blocked in `get` wakes up at once.
_STOP = object()


@dataclass
class _Task:
    owner: str
    ttl: float
    expires_at: float
    stopped: threading.Event = field(default_factory=threading.Event)
    events: queue.Queue | None = field(default_factory=queue.Queue)  # None once closed


class InProcessAgentQueue(AgentQueue):
    """Tasks live in memory until their ttl; expired ones are dropped when the next task opens.

    Listening to an unknown or closed task ends at once, since nothing can arrive any more.
    """

    def __init__(self):
        self._tasks: dict[uuid.UUID, _Task] = {}
        self._lock = threading.Lock()

    def open(self, task_id, owner, ttl):
        now = time.monotonic()
        with self._lock:
            for expired in [key for key, task in self._tasks.items() if task.expires_at <= now]:
                del self._tasks[expired]
            self._tasks[task_id] = _Task(owner=owner, ttl=ttl, expires_at=now + ttl)

    def publish(self, task_id, event):
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None or task.events is None:
                return
            # A run that keeps publishing stays alive, as its Redis stream does.
            task.expires_at = time.monotonic() + task.ttl
            task.events.put(event)

    def listen(self, task_id, idle_timeout):
        with self._lock:
            task = self._tasks.get(task_id)
            events = task.events if task else None
        if events is None:
            return
        while True:
            try:
                item = events.get(timeout=idle_timeout)
            except queue.Empty:
                yield QueueSignal.IDLE
                continue
            if item is _STOP:
                yield QueueSignal.STOP_REQUESTED
                return
            yield item
            if item.is_terminal:
                return

    def stop(self, task_id, owner):
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None or task.owner != owner or task.expires_at <= time.monotonic():
                return False
            if task.events is not None and not task.stopped.is_set():
                task.events.put(_STOP)
            task.stopped.set()
            return True

    def is_stopped(self, task_id):
        task = self._tasks.get(task_id)
        return task is not None and task.stopped.is_set()

    def close(self, task_id):
        with self._lock:
            task = self._tasks.get(task_id)
            if task is not None:
                task.events = None
