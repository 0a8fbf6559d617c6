"""The chat center's stream at the edge: the agent run's events as a small OpenWebUI-friendly
set of server-sent events, each data a JSON object:
- `ping` `{}`: first, then to keep a quiet connection open;
- `delta` `{"content"}`: the next piece of the answer;
- `step` `{"event", "tool", "observation"}`: a tool call or knowledge retrieval the agent made;
- `done` `{"response", "context", "timestamp"}`: the whole answer and the reply's context, last;
- `error` `{"code", "message", "context"}`: the run failed or ran out of time, last."""

import json
from collections.abc import Iterator
from typing import Any

from internal.aistack.gateway.envelope import ErrorCode, now_iso
from internal.core.agent.events import AgentEventType

from .service import StartedTurn, with_notice

STEP_EVENTS = (AgentEventType.AGENT_ACTION, AgentEventType.DATASET_RETRIEVAL)


def _frame(event: str, data: dict[str, Any]) -> tuple[str, str]:
    return event, json.dumps(data, ensure_ascii=False)


def chat_frames(turn: StartedTurn) -> Iterator[tuple[str, str]]:
    context = turn.context.model_dump(mode="json")
    answer: list[str] = []
    notice = with_notice(turn.notice, "")
    if notice:  # the reminders the reply shows come first
        answer.append(notice)
        yield _frame("delta", {"content": notice})
    for event in turn.stream.events:
        kind = event.event
        if kind == AgentEventType.PING:
            yield _frame("ping", {})
        elif kind == AgentEventType.AGENT_MESSAGE:
            if event.answer:
                answer.append(event.answer)
                yield _frame("delta", {"content": event.answer})
        elif kind in STEP_EVENTS:
            yield _frame("step", {"event": kind.value, "tool": event.tool, "observation": event.observation})
        elif kind in (AgentEventType.AGENT_END, AgentEventType.STOP):
            yield _frame("done", {"response": "".join(answer), "context": context, "timestamp": now_iso()})
        elif kind in (AgentEventType.ERROR, AgentEventType.TIMEOUT):
            message = event.observation or "模型未能完成回复"
            yield _frame("error", {"code": ErrorCode.SERVICE_UNAVAILABLE.value, "message": message, "context": context})
