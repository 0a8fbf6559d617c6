"""Run queue for the production profile: a stop handled by any API process reaches the run."""

import logging
import threading

import redis

from .in_process_queue import InProcessRunQueue

logger = logging.getLogger(__name__)

# How often a process looks for stop requests made in other processes (one MGET for all its runs).
STOP_POLL_INTERVAL = 0.2
# A watcher with no run to watch for this long ends; the next run starts another.
WATCHER_IDLE_SECONDS = 30.0
# How long a closed task's owner record stays at least, so a late stop still finds it.
CLOSED_TASK_TTL_MS = 60_000


def _keys(task_id) -> tuple[str, str]:
    base = f"run_task:{task_id}"
    return base, f"{base}:stopped"


class RedisRunQueue(InProcessRunQueue):
    """Events go through memory, as in the embedded profile: a run's listener is always the
    response streaming it, in the process that runs it. Redis carries what other processes need:
    who owns a task (hash `run_task:{id}`: owner, ttl_ms, closed) and whether someone stopped
    it (`run_task:{id}:stopped`). A watcher thread polls the stop flags of this process's
    running tasks and stops them here; a stop made in the runner's own process acts at once.
    """

    def __init__(self, url: str):
        super().__init__()
        self.client = redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)
        self._watch = threading.Condition(self._lock)
        self._watcher: threading.Thread | None = None
        self._shut_down = False

    def open(self, task_id, owner, ttl):
        task_key, stopped_key = _keys(task_id)
        ttl_ms = max(1, int(ttl * 1000))
        with self.client.pipeline() as pipe:
            pipe.delete(stopped_key)
            pipe.hset(task_key, mapping={"owner": owner, "ttl_ms": ttl_ms})
            pipe.pexpire(task_key, ttl_ms)
            pipe.execute()
        super().open(task_id, owner, ttl)
        with self._watch:
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch_stops, name="run-stop-watcher", daemon=True)
                self._watcher.start()
            self._watch.notify()

    def stop(self, task_id, owner):
        task_key, stopped_key = _keys(task_id)
        stored_owner, ttl_ms, closed = self.client.hmget(task_key, "owner", "ttl_ms", "closed")
        if stored_owner is None or stored_owner != owner:
            return False
        if not closed:
            self.client.set(stopped_key, "1", px=int(ttl_ms))
            self._stop_here(task_id)
        return True

    def close(self, task_id):
        super().close(task_id)
        task_key = _keys(task_id)[0]
        with self.client.pipeline(transaction=False) as pipe:
            # The owner record keeps its own expiry, so a late stop still finds it; NX only
            # bounds a record that had already expired and that HSET just recreated.
            pipe.hset(task_key, "closed", "1")
            pipe.pexpire(task_key, CLOSED_TASK_TTL_MS, nx=True)
            pipe.execute()

    def shutdown(self) -> None:
        """Ends the watcher and closes the connections (a process that stops serving)."""
        with self._watch:
            self._shut_down = True
            self._watch.notify()
            watcher = self._watcher
        if watcher is not None:
            watcher.join(STOP_POLL_INTERVAL * 5)
        self.client.close()

    def _watch_stops(self) -> None:
        while True:
            with self._watch:
                running = self._running_here()
                if not running and not self._shut_down:
                    self._watch.wait(WATCHER_IDLE_SECONDS)
                    running = self._running_here()
                if not running or self._shut_down:
                    self._watcher = None
                    return
            try:
                flags = self.client.mget([_keys(task_id)[1] for task_id in running])
            except Exception as exc:  # Redis away for a moment: the next poll tries again
                logger.warning("Looking for stopped run tasks failed: %s", exc)
                flags = []
            for task_id, flag in zip(running, flags):
                if flag:
                    self._stop_here(task_id)
            with self._watch:
                self._watch.wait_for(lambda: self._shut_down, STOP_POLL_INTERVAL)

    def _running_here(self) -> list:
        """Tasks of this process neither closed nor stopped; the caller holds the lock."""
        return [task_id for task_id, task in self._tasks.items() if task.events is not None and not task.stopped.is_set()]
