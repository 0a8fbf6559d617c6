"""The typed events an agent run emits; the edge turns them into SSE text once."""

import json
import time
import uuid
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from typing import Any


class AgentEventType(str, Enum):
    LONG_TERM_MEMORY_RECALL = "long_term_memory_recall"
    AGENT_THOUGHT = "agent_thought"
    AGENT_MESSAGE = "agent_message"
    AGENT_ACTION = "agent_action"
    DATASET_RETRIEVAL = "dataset_retrieval"
    AGENT_END = "agent_end"
    STOP = "stop"
    ERROR = "error"
    TIMEOUT = "timeout"
    PING = "ping"


# A stream ends after one of these.
TERMINAL_EVENTS = frozenset({AgentEventType.AGENT_END, AgentEventType.STOP, AgentEventType.ERROR, AgentEventType.TIMEOUT})


@dataclass(slots=True, kw_only=True)
class AgentEvent:
    """One step of a run, or one chunk of a step: chunks of a step share its `id`.

    `latency` is float seconds. `total_token_count` and `total_price` are filled on the last
    event of a run only. A plain dataclass: a fast model's run makes one per streamed chunk.
    """

    id: uuid.UUID = field(default_factory=uuid.uuid4)
    event: AgentEventType
    conversation_id: uuid.UUID | None = None
    message_id: uuid.UUID | None = None
    task_id: uuid.UUID | None = None
    thought: str = ""
    observation: str = ""
    tool: str = ""
    tool_input: dict[str, Any] = field(default_factory=dict)
    answer: str = ""
    total_token_count: int = 0
    total_price: float = 0.0
    latency: float = 0.0
    created_at: int = field(default_factory=lambda: int(time.time()))

    @property
    def is_terminal(self) -> bool:
        return self.event in TERMINAL_EVENTS

    def to_json(self, extra: dict[str, Any] | None = None) -> str:
        """The llmops-api.md §1.11 event data: every field, in order, then `extra` (fields a
        channel adds, such as the open API's `end_user_id`); ids become strings (`default=str`)."""
        data = {name: getattr(self, name) for name in _FIELDS}
        if extra:
            data.update(extra)
        return json.dumps(data, ensure_ascii=False, default=str)


_FIELDS = tuple(f.name for f in fields(AgentEvent))


def merge_chunks(events: list[AgentEvent]) -> list[AgentEvent]:
    """Consecutive answer chunks of one step as one chunk: a stream that fell behind sends fewer,
    larger chunks instead of falling further behind."""
    merged: list[AgentEvent] = []
    run: list[AgentEvent] = []  # chunks of one step waiting to be merged
    for event in events:
        if run and not (event.event == AgentEventType.AGENT_MESSAGE and event.id == run[0].id):
            merged.append(_merged_run(run))
            run = []
        if event.event == AgentEventType.AGENT_MESSAGE:
            run.append(event)
        else:
            merged.append(event)
    if run:
        merged.append(_merged_run(run))
    return merged


def _merged_run(chunks: list[AgentEvent]) -> AgentEvent:
    if len(chunks) == 1:
        return chunks[0]
    return replace(
        chunks[0],
        thought="".join(chunk.thought for chunk in chunks),
        answer="".join(chunk.answer for chunk in chunks),
        latency=chunks[-1].latency,
    )
