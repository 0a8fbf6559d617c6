"""Agent queue over Redis streams, so a stop handled by any API process reaches the run."""

import time

import redis

from internal.core.agent.events import AgentEvent

from .base import AgentQueue, QueueSignal

# How stale a runner's view of the stop flag may be; it asks once per chunk.
STOP_CHECK_INTERVAL = 0.1
# How long a closed run's events stay readable, for a listener that is still catching up.
CLOSED_STREAM_TTL_MS = 60_000


class RedisAgentQueue(AgentQueue):
    """Per task: a hash `agent_task:{id}` (owner, ttl, closed), a `:stopped` flag and an
    `:events` stream. A stop is both the flag (for the runner) and a stream entry (to wake
    the listener)."""

    def __init__(self, url: str):
        self.client = redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)
        self._ttl_ms: dict = {}
        # task id -> (stopped, monotonic time of the last look); the GIL keeps single dict ops safe.
        self._stop_checks: dict = {}

    @staticmethod
    def _keys(task_id) -> tuple[str, str, str]:
        base = f"agent_task:{task_id}"
        return base, f"{base}:stopped", f"{base}:events"

    def open(self, task_id, owner, ttl):
        task_key, stopped_key, events_key = self._keys(task_id)
        ttl_ms = max(1, int(ttl * 1000))
        with self.client.pipeline() as pipe:
            pipe.delete(task_key, stopped_key, events_key)
            pipe.hset(task_key, mapping={"owner": owner, "ttl_ms": ttl_ms})
            pipe.pexpire(task_key, ttl_ms)
            pipe.execute()
        self._ttl_ms[task_id] = ttl_ms
        self._stop_checks.pop(task_id, None)

    def _task_ttl_ms(self, task_id) -> int:
        ttl_ms = self._ttl_ms.get(task_id)
        if ttl_ms is None:
            # Opened by another process; a task whose record expired keeps its events briefly.
            stored = self.client.hget(self._keys(task_id)[0], "ttl_ms")
            ttl_ms = int(stored) if stored else CLOSED_STREAM_TTL_MS
            if stored:
                self._ttl_ms[task_id] = ttl_ms
        return ttl_ms

    def publish(self, task_id, event):
        events_key = self._keys(task_id)[2]
        ttl_ms = self._task_ttl_ms(task_id)
        with self.client.pipeline(transaction=False) as pipe:
            pipe.xadd(events_key, {"e": event.model_dump_json()})
            pipe.pexpire(events_key, ttl_ms)
            pipe.execute()

    def listen(self, task_id, idle_timeout):
        events_key = self._keys(task_id)[2]
        # BLOCK 0 would wait forever.
        block_ms = max(1, int(idle_timeout * 1000))
        # From the start of the stream: events published before listening are not lost.
        last_id = "0-0"
        while True:
            reply = self.client.xread({events_key: last_id}, block=block_ms)
            if not reply:
                yield QueueSignal.IDLE
                continue
            for entry_id, fields in reply[0][1]:
                last_id = entry_id
                if "signal" in fields:
                    yield QueueSignal.STOP_REQUESTED
                    return
                event = AgentEvent.model_validate_json(fields["e"])
                yield event
                if event.is_terminal:
                    return

    def stop(self, task_id, owner):
        task_key, stopped_key, events_key = self._keys(task_id)
        stored_owner, ttl_ms, closed = self.client.hmget(task_key, "owner", "ttl_ms", "closed")
        if stored_owner is None or stored_owner != owner:
            return False
        if closed:
            return True
        with self.client.pipeline(transaction=False) as pipe:
            pipe.set(stopped_key, "1", px=int(ttl_ms))
            pipe.xadd(events_key, {"signal": "stop"})
            pipe.pexpire(events_key, int(ttl_ms))
            pipe.execute()
        return True

    def is_stopped(self, task_id):
        now = time.monotonic()
        cached = self._stop_checks.get(task_id)
        if cached is not None and (cached[0] or now - cached[1] < STOP_CHECK_INTERVAL):
            return cached[0]
        stopped = bool(self.client.exists(self._keys(task_id)[1]))
        self._stop_checks[task_id] = (stopped, now)
        return stopped

    def close(self, task_id):
        task_key, _, events_key = self._keys(task_id)
        with self.client.pipeline(transaction=False) as pipe:
            # The owner record keeps its own expiry, so a late stop still finds it; NX only
            # bounds a record that had already expired and that HSET just recreated.
            pipe.hset(task_key, "closed", "1")
            pipe.pexpire(task_key, CLOSED_STREAM_TTL_MS, nx=True)
            pipe.pexpire(events_key, CLOSED_STREAM_TTL_MS)
            pipe.execute()
        self._ttl_ms.pop(task_id, None)
        self._stop_checks.pop(task_id, None)
