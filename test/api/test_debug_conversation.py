"""llmops-api.md §1.9, §1.10, §1.13, §1.14: an app's debug conversation, its long-term memory and messages."""

import threading
import time
import uuid

import pytest
from sqlalchemy import event

from test.api.apps import get_app, update_draft
from test.api.assertions import assert_fail, assert_not_found, assert_validate_error, success_data
from test.api.chat import chat_app, debug_chat

MESSAGE_FIELDS = {
    "id",
    "conversation_id",
    "query",
    "image_urls",
    "answer",
    "total_token_count",
    "latency",
    "agent_thoughts",
    "created_at",
}
THOUGHT_FIELDS = {"id", "position", "event", "thought", "observation", "tool", "tool_input", "latency", "created_at"}


def chat(client, member, app_id, query: str) -> str:
    """One finished debug round; returns its conversation id (carried by every event)."""
    events = debug_chat(client, member, app_id, query)
    assert events[-1]["event"] == "agent_end", events
    (conversation_id,) = {e["data"]["conversation_id"] for e in events}
    return conversation_id


def debug_messages(client, member, app_id, **query):
    return client.get(f"/apps/{app_id}/conversations/messages", query_string=query, headers=member.headers)


def debug_page(client, member, app_id, **query) -> dict:
    resp = debug_messages(client, member, app_id, **query)
    return success_data(resp)


def queries(page: dict) -> list[str]:
    return [item["query"] for item in page["list"]]


def wait_for_next_second(after: int) -> None:
    """API timestamps are whole seconds: later rows must fall in a later second than `after`."""
    while time.time() < after + 1:
        time.sleep(0.05)


def enable_long_term_memory(client, member, app_id) -> None:
    resp = update_draft(client, member, app_id, {"long_term_memory": {"enable": True}})
    assert resp.json["code"] == "success", resp.json


def get_summary(client, member, app_id):
    return client.get(f"/apps/{app_id}/summary", headers=member.headers)


def update_summary(client, member, app_id, body):
    return client.post(f"/apps/{app_id}/summary", json=body, headers=member.headers)


def clear_debug_conversation(client, member, app_id):
    return client.post(f"/apps/{app_id}/conversations/delete-debug-conversation", headers=member.headers)


# --- llmops-api.md §1.13 messages ---------------------------------------------------------------


def test_messages_are_empty_before_the_first_chat(client, member):
    app_id, _ = chat_app(client, member)
    page = debug_page(client, member, app_id)
    assert page == {"list": [], "paginator": {"current_page": 1, "page_size": 20, "total_page": 0, "total_record": 0}}


def test_a_chat_is_listed_with_its_agent_thoughts(client, member, llm):
    app_id, marker = chat_app(client, member)
    llm.script_chat(marker, "LLM 即 Large Language Model。")
    conversation_id = chat(client, member, app_id, "LLM是什么？")

    page = debug_page(client, member, app_id)
    assert page["paginator"] == {"current_page": 1, "page_size": 20, "total_page": 1, "total_record": 1}
    (message,) = page["list"]
    assert set(message) == MESSAGE_FIELDS
    assert message["conversation_id"] == conversation_id
    assert message["query"] == "LLM是什么？" and message["answer"] == "LLM 即 Large Language Model。"
    assert message["image_urls"] == []
    assert isinstance(message["total_token_count"], int) and message["total_token_count"] > 0
    assert isinstance(message["latency"], float) and isinstance(message["created_at"], int)

    # A plain chat stores one step: the message, whose thought is the whole answer.
    (thought,) = message["agent_thoughts"]
    assert set(thought) == THOUGHT_FIELDS
    assert thought["position"] == 1 and thought["event"] == "agent_message"
    assert thought["thought"] == message["answer"]
    assert thought["observation"] == "" and thought["tool"] == "" and thought["tool_input"] == {}
    assert isinstance(thought["latency"], float) and isinstance(thought["created_at"], int)
    uuid.UUID(thought["id"])


def test_newest_first_paging_and_a_cursor_that_keeps_pages_stable(client, member):
    app_id, _ = chat_app(client, member)
    for query in ("q1", "q2", "q3"):
        chat(client, member, app_id, query)

    assert queries(debug_page(client, member, app_id)) == ["q3", "q2", "q1"]
    cursor = int(time.time())
    wait_for_next_second(cursor)
    first = debug_page(client, member, app_id, page_size=2, created_at=cursor)
    assert queries(first) == ["q3", "q2"]
    assert first["paginator"] == {"current_page": 1, "page_size": 2, "total_page": 2, "total_record": 3}

    # A message arriving while the client pages does not shift the pages of its cursor.
    chat(client, member, app_id, "q4")
    second = debug_page(client, member, app_id, page_size=2, current_page=2, created_at=cursor)
    assert queries(second) == ["q1"]
    assert second["paginator"] == {"current_page": 2, "page_size": 2, "total_page": 2, "total_record": 3}

    # Without a cursor the list counts back from now; an older cursor leaves newer rows out.
    assert queries(debug_page(client, member, app_id)) == ["q4", "q3", "q2", "q1"]
    assert queries(debug_page(client, member, app_id, created_at=cursor)) == ["q3", "q2", "q1"]
    oldest = debug_page(client, member, app_id)["list"][-1]["created_at"]
    assert queries(debug_page(client, member, app_id, created_at=oldest - 1)) == []


def test_a_page_loads_its_agent_thoughts_in_one_query(app, client, member):
    app_id, _ = chat_app(client, member)
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    statements: list[str] = []
    request_thread = threading.get_ident()

    def record(conn, cursor, statement, parameters, context, executemany):
        # Only the request's own statements: a finished run may still be naming its conversation.
        if threading.get_ident() == request_thread:
            statements.append(statement)

    def count_queries() -> tuple[int, int]:
        statements.clear()
        event.listen(engine, "before_cursor_execute", record)
        try:
            debug_page(client, member, app_id)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return sum("message_agent_thought" in s for s in statements), len(statements)

    chat(client, member, app_id, "q1")
    thought_queries, one_message = count_queries()
    assert thought_queries == 1
    chat(client, member, app_id, "q2")
    chat(client, member, app_id, "q3")
    assert count_queries() == (1, one_message)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 51}, "page_size"),
        ({"current_page": 0}, "current_page"),
        ({"current_page": "x"}, "current_page"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"created_at": -1}, "created_at"),
    ],
)
def test_bad_paging_is_a_validate_error(client, member, query, field):
    app_id, _ = chat_app(client, member)
    assert_validate_error(debug_messages(client, member, app_id, **query), field)


# --- llmops-api.md §1.9, §1.10 long-term memory ----------------------------------------------------


def test_summary_is_refused_while_long_term_memory_is_off(client, member):
    app_id, _ = chat_app(client, member)
    assert_fail(get_summary(client, member, app_id))
    assert_fail(update_summary(client, member, app_id, {"summary": "人类介绍自己叫慕小课"}))
    assert get_app(client, member, app_id)["debug_conversation_id"] == ""


def test_update_summary_starts_the_debug_conversation_and_the_next_chat_remembers(client, member, llm):
    app_id, marker = chat_app(client, member)
    enable_long_term_memory(client, member, app_id)
    assert get_summary(client, member, app_id).json == {"code": "success", "data": {"summary": ""}, "message": ""}

    resp = update_summary(client, member, app_id, {"summary": "人类介绍自己叫慕小课，喜欢打篮球。"})
    assert resp.json == {"code": "success", "data": {}, "message": "更新AI应用长记忆成功"}
    assert get_summary(client, member, app_id).json["data"] == {"summary": "人类介绍自己叫慕小课，喜欢打篮球。"}
    debug_conversation_id = get_app(client, member, app_id)["debug_conversation_id"]
    assert debug_conversation_id

    # The summary belongs to the debug conversation that the next chat continues.
    assert chat(client, member, app_id, "我喜欢什么运动？") == debug_conversation_id
    assert "喜欢打篮球" in str(llm.chat_requests(marker)[0]["messages"])


@pytest.mark.parametrize(
    "body",
    [{}, {"summary": None}, {"summary": 5}, {"summary": "x" * 10001}],
)
def test_update_summary_validates_the_summary(client, member, body):
    app_id, _ = chat_app(client, member)
    enable_long_term_memory(client, member, app_id)
    assert_validate_error(update_summary(client, member, app_id, body), "summary")
    assert get_summary(client, member, app_id).json["data"] == {"summary": ""}


def test_summary_of_ten_thousand_characters_is_accepted(client, member):
    app_id, _ = chat_app(client, member)
    enable_long_term_memory(client, member, app_id)
    assert update_summary(client, member, app_id, {"summary": "记" * 10000}).json["code"] == "success"
    assert get_summary(client, member, app_id).json["data"]["summary"] == "记" * 10000


# --- llmops-api.md §1.14 clearing -------------------------------------------------------------------


def test_clearing_the_debug_conversation_starts_a_new_one(client, member):
    app_id, _ = chat_app(client, member)
    first_conversation = chat(client, member, app_id, "q1")
    updated_at = get_app(client, member, app_id)["updated_at"]

    resp = clear_debug_conversation(client, member, app_id)
    assert resp.json == {"code": "success", "data": {}, "message": "清空应用调试会话记录成功"}
    assert debug_page(client, member, app_id)["list"] == []
    cleared = get_app(client, member, app_id)
    assert cleared["debug_conversation_id"] == "" and cleared["updated_at"] == updated_at
    assert_not_found(client.get(f"/conversations/{first_conversation}/messages", headers=member.headers))

    second_conversation = chat(client, member, app_id, "q2")
    assert second_conversation != first_conversation
    assert get_app(client, member, app_id)["debug_conversation_id"] == second_conversation
    assert queries(debug_page(client, member, app_id)) == ["q2"]


def test_clearing_without_a_debug_conversation_succeeds(client, member):
    app_id, _ = chat_app(client, member)
    assert clear_debug_conversation(client, member, app_id).json["code"] == "success"


# --- ownership -----------------------------------------------------------------------------------


def test_another_account_cannot_reach_the_debug_conversation(client, member, other_member):
    app_id, _ = chat_app(client, member)
    enable_long_term_memory(client, member, app_id)
    conversation_id = chat(client, member, app_id, "q1")

    assert_not_found(get_summary(client, other_member, app_id))
    assert_not_found(update_summary(client, other_member, app_id, {"summary": "hijacked"}))
    assert_not_found(debug_messages(client, other_member, app_id))
    assert_not_found(clear_debug_conversation(client, other_member, app_id))

    assert queries(debug_page(client, member, app_id)) == ["q1"]
    assert get_app(client, member, app_id)["debug_conversation_id"] == conversation_id
    assert get_summary(client, member, app_id).json["data"]["summary"] != "hijacked"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/apps/{}/summary"),
        ("POST", "/apps/{}/summary"),
        ("GET", "/apps/{}/conversations/messages"),
        ("POST", "/apps/{}/conversations/delete-debug-conversation"),
    ],
)
def test_unknown_or_malformed_app_ids_are_not_found(client, member, method, path):
    body = {"summary": "x"} if method == "POST" else None
    assert_not_found(client.open(path.format(uuid.uuid4()), method=method, json=body, headers=member.headers))
    assert_not_found(client.open(path.format("not-a-uuid"), method=method, json=body, headers=member.headers))
