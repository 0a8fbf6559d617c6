"""Carries the events of runs (agents, workflows, speech) and their stop requests: events in
memory; Redis shares stops between processes in production."""

from config import Settings

from .base import QueueSignal, RunEvent, RunQueue


def create_run_queue(settings: Settings) -> RunQueue:
    if settings.redis.redis_url:
        from .redis_queue import RedisRunQueue

        return RedisRunQueue(settings.redis.redis_url)
    from .in_process_queue import InProcessRunQueue

    return InProcessRunQueue()


__all__ = ["QueueSignal", "RunEvent", "RunQueue", "create_run_queue"]
