"""Agent events at the edge: each becomes one SSE `(event, data)` pair, once."""

from collections.abc import Iterable, Iterator
from typing import Any

from internal.core.agent.events import AgentEvent


def agent_event_frames(events: Iterable[AgentEvent], extra: dict[str, Any] | None = None) -> Iterator[tuple[str, str]]:
    """AgentEvents as SSE `(event, data)` pairs; the data carries every llmops-api.md §1.11
    field, and the channel's `extra` fields (the open API's `end_user_id`) on every event."""
    for event in events:
        yield event.event.value, event.to_json(extra)
