"""Agent events: their stream data, and merging the answer chunks a stream fell behind on."""

import json
import time
import uuid

from internal.core.agent.events import AgentEvent, AgentEventType, merge_chunks


def chunk(step: uuid.UUID, text: str, latency: float) -> AgentEvent:
    return AgentEvent(id=step, event=AgentEventType.AGENT_MESSAGE, thought=text, answer=text, latency=latency)


def test_consecutive_chunks_of_one_step_become_one():
    step = uuid.uuid4()
    merged = merge_chunks([chunk(step, "Hel", 0.1), chunk(step, "lo", 0.2), chunk(step, "!", 0.3)])

    assert len(merged) == 1
    assert (merged[0].id, merged[0].answer, merged[0].thought, merged[0].latency) == (step, "Hello!", "Hello!", 0.3)


def test_other_events_and_other_steps_stay_apart_in_order():
    first, second = uuid.uuid4(), uuid.uuid4()
    action = AgentEvent(event=AgentEventType.AGENT_ACTION, tool="clock")
    end = AgentEvent(event=AgentEventType.AGENT_END)
    events = [chunk(first, "a", 0.1), chunk(first, "b", 0.2), action, chunk(second, "c", 0.3), chunk(second, "d", 0.4), end]

    merged = merge_chunks(events)

    assert [(event.event, event.answer) for event in merged] == [
        (AgentEventType.AGENT_MESSAGE, "ab"),
        (AgentEventType.AGENT_ACTION, ""),
        (AgentEventType.AGENT_MESSAGE, "cd"),
        (AgentEventType.AGENT_END, ""),
    ]
    assert merged[1] is action and merged[3] is end


def test_a_single_chunk_is_passed_on_as_is():
    event = chunk(uuid.uuid4(), "x", 0.1)
    assert merge_chunks([event]) == [event]


def test_event_data_has_every_field_with_ids_as_text():
    task_id, conversation_id = uuid.uuid4(), uuid.uuid4()
    event = AgentEvent(
        event=AgentEventType.AGENT_ACTION, task_id=task_id, conversation_id=conversation_id,
        tool="天气", tool_input={"city": "广州"}, observation="晴", latency=0.25,
    )  # fmt: skip

    data = json.loads(event.to_json())

    assert data == {
        "id": str(event.id), "event": "agent_action", "conversation_id": str(conversation_id), "message_id": None,
        "task_id": str(task_id), "thought": "", "observation": "晴", "tool": "天气", "tool_input": {"city": "广州"},
        "answer": "", "total_token_count": 0, "total_price": 0.0, "latency": 0.25, "created_at": event.created_at,
    }  # fmt: skip
    assert "广州" in event.to_json()  # readable, not \\u-escaped


def test_events_get_their_own_ids_and_times():
    first, second = AgentEvent(event=AgentEventType.PING), AgentEvent(event=AgentEventType.PING)
    assert first.id != second.id
    assert abs(first.created_at - time.time()) < 5
