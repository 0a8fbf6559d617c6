"""Carries agent run events and stop requests: memory for events; Redis shares stops in production."""

from config import Settings

from .base import AgentQueue, QueueSignal


def create_agent_queue(settings: Settings) -> AgentQueue:
    if settings.redis.redis_url:
        from .redis_queue import RedisAgentQueue

        return RedisAgentQueue(settings.redis.redis_url)
    from .in_process_queue import InProcessAgentQueue

    return InProcessAgentQueue()


__all__ = ["AgentQueue", "QueueSignal", "create_agent_queue"]
