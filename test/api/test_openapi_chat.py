"""llmops-api.md §9.6 open API chat: an API key's owner's published apps answer end users,
streaming (SSE agent events) or blocking (the stored message), on the published configuration;
every refusal is an envelope answered before any stream opens."""

import json
import uuid

import pytest
from sqlalchemy import func, select

from internal.extension.database import db
from internal.model import Conversation, EndUser, Message
from test.api.apps import assert_updated, publish, update_draft
from test.api.assertions import assert_envelope, assert_fail, assert_not_found, assert_validate_error, success_data
from test.api.chat import answer_of, chat_app, debug_chat, read_events
from test.fakes.openai_server import ChatReply

# Every event carries these (llmops-api-index.md D10: the superset, plus the open API's end_user_id).
EVENT_FIELDS = {
    "id", "event", "end_user_id", "conversation_id", "message_id", "task_id", "thought", "observation", "tool",
    "tool_input", "answer", "total_token_count", "total_price", "latency", "created_at",
}
MESSAGE_FIELDS = {
    "id", "end_user_id", "conversation_id", "query", "image_urls", "answer", "total_token_count", "total_price",
    "latency", "status", "error", "agent_thoughts", "created_at",
}
THOUGHT_FIELDS = {
    "id", "position", "event", "thought", "observation", "tool", "tool_input", "total_token_count", "total_price",
    "latency", "created_at",
}


def api_key_of(client, member, is_active: bool = True) -> str:
    """A new key of the member's (the newest in its list)."""
    resp = client.post("/openapi/api-keys", json={"is_active": is_active}, headers=member.headers)
    success_data(resp)
    keys = success_data(client.get("/openapi/api-keys", headers=member.headers))["list"]
    return keys[0]["api_key"]


def key_headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def open_chat(client, key: str, **body):
    return client.post("/openapi/chat", json=body, headers=key_headers(key))


def published_app(client, member, **config) -> tuple[str, str]:
    app_id, marker = chat_app(client, member, **config)
    publish(client, member, app_id)
    return app_id, marker


def agent_requests(llm, marker) -> list[dict]:
    return llm.chat_requests(lambda body: marker in json.dumps(body["messages"][0], ensure_ascii=False))


@pytest.fixture
def key(client, member) -> str:
    return api_key_of(client, member)


# --- streaming ------------------------------------------------------------------------------------


def test_stream_creates_an_end_user_and_a_conversation_and_every_event_carries_every_field(client, member, key, llm):
    app_id, marker = published_app(client, member)
    llm.script_chat(marker, ChatReply(text="LLM is a large language model.", chunk_size=6, usage=(30, 7)))

    events = read_events(open_chat(client, key, app_id=app_id, query="What is an LLM?", stream=True))

    assert events[0]["event"] == "ping" and events[-1]["event"] == "agent_end"
    assert answer_of(events) == "LLM is a large language model."
    for event in events:
        assert set(event["data"]) == EVENT_FIELDS, event
    ids = {(e["data"]["end_user_id"], e["data"]["conversation_id"], e["data"]["message_id"], e["data"]["task_id"]) for e in events}
    assert len(ids) == 1
    end_user_id, conversation_id, message_id, _ = ids.pop()
    assert all(uuid.UUID(value) for value in (end_user_id, conversation_id, message_id))
    assert events[-1]["data"]["total_token_count"] == 37

    with client.application.app_context():
        message = db.session.get(Message, uuid.UUID(message_id))
        assert message.invoke_from == "service_api" and str(message.end_user_id) == end_user_id
        assert message.answer == "LLM is a large language model."
        conversation = db.session.get(Conversation, uuid.UUID(conversation_id))
        assert str(conversation.end_user_id) == end_user_id and str(conversation.app_id) == app_id
        end_user = db.session.get(EndUser, uuid.UUID(end_user_id))
        assert str(end_user.app_id) == app_id and end_user.account_id == member.id


def test_a_named_end_user_and_conversation_continue_with_their_history(client, member, key, llm):
    app_id, marker = published_app(client, member)
    llm.script_chat(marker, "Paris.", "About two million.")
    first = read_events(open_chat(client, key, app_id=app_id, query="Capital of France?", stream=True))
    end_user_id, conversation_id = first[0]["data"]["end_user_id"], first[0]["data"]["conversation_id"]

    second = read_events(
        open_chat(
            client, key, app_id=app_id, end_user_id=end_user_id, conversation_id=conversation_id,
            query="And its population?", stream=True,
        )
    )

    assert answer_of(second) == "About two million."
    assert {e["data"]["end_user_id"] for e in second} == {end_user_id}
    assert {e["data"]["conversation_id"] for e in second} == {conversation_id}
    sent = json.dumps(agent_requests(llm, marker)[-1]["messages"], ensure_ascii=False)
    assert "Capital of France?" in sent and "Paris." in sent


def test_an_end_user_without_a_conversation_gets_a_new_one(client, member, key, llm):
    app_id, marker = published_app(client, member)
    llm.script_chat(marker, "one", "two")
    first = read_events(open_chat(client, key, app_id=app_id, query="first question", stream=True))
    end_user_id = first[0]["data"]["end_user_id"]

    second = read_events(open_chat(client, key, app_id=app_id, end_user_id=end_user_id, query="second question", stream=True))

    assert second[0]["data"]["end_user_id"] == end_user_id
    assert second[0]["data"]["conversation_id"] != first[0]["data"]["conversation_id"]
    sent = json.dumps(agent_requests(llm, marker)[-1]["messages"], ensure_ascii=False)
    assert "first question" not in sent


def test_the_published_configuration_answers_not_the_draft(client, member, key, llm):
    app_id, published_marker = published_app(client, member)
    draft_marker = f"draft-{uuid.uuid4().hex[:8]}"
    assert_updated(update_draft(client, member, app_id, {"preset_prompt": f"Draft prompt ({draft_marker})."}))
    llm.script_chat(published_marker, "from the published config")
    llm.script_chat(draft_marker, "from the draft")

    events = read_events(open_chat(client, key, app_id=app_id, query="Which config?", stream=True))

    assert answer_of(events) == "from the published config"
    assert debug_chat(client, member, app_id, "Which config?")[-1]["event"] == "agent_end"
    assert agent_requests(llm, draft_marker), "the debug chat still runs the draft"


# --- blocking -------------------------------------------------------------------------------------


def test_blocking_answers_the_stored_message_with_its_steps(client, member, key, llm):
    app_id, marker = published_app(client, member)
    llm.script_chat(marker, ChatReply(text="A blocking answer.", chunk_size=4, usage=(20, 5)))

    data = success_data(open_chat(client, key, app_id=app_id, query="Answer at once", stream=False))

    assert set(data) == MESSAGE_FIELDS
    assert data["answer"] == "A blocking answer." and data["query"] == "Answer at once" and data["image_urls"] == []
    assert data["status"] == "normal" and data["error"] == "" and data["total_token_count"] == 25
    assert isinstance(data["latency"], float) and isinstance(data["created_at"], int)
    (thought,) = data["agent_thoughts"]
    assert set(thought) == THOUGHT_FIELDS
    assert thought["event"] == "agent_message" and thought["thought"] == "A blocking answer." and thought["position"] == 1

    with client.application.app_context():
        message = db.session.get(Message, uuid.UUID(data["id"]))
        assert message.answer == data["answer"] and str(message.conversation_id) == data["conversation_id"]
        assert str(message.end_user_id) == data["end_user_id"]


def test_blocking_continues_a_conversation(client, member, key, llm):
    app_id, marker = published_app(client, member)
    llm.script_chat(marker, "Blue.", "Green.")
    first = success_data(open_chat(client, key, app_id=app_id, query="Colour of the sky?", stream=False))

    second = success_data(
        open_chat(
            client, key, app_id=app_id, end_user_id=first["end_user_id"], conversation_id=first["conversation_id"],
            query="And of grass?", stream=False,
        )
    )

    assert second["answer"] == "Green." and second["conversation_id"] == first["conversation_id"]
    sent = json.dumps(agent_requests(llm, marker)[-1]["messages"], ensure_ascii=False)
    assert "Colour of the sky?" in sent and "Blue." in sent


def test_a_failing_model_ends_a_blocking_turn_with_the_error_stored(client, member, key, llm):
    app_id, marker = published_app(client, member)
    llm.script_chat(marker, ChatReply(status=500, error_message="model exploded"))

    data = success_data(open_chat(client, key, app_id=app_id, query="Fail please", stream=False))

    assert data["status"] == "error" and "model exploded" in data["error"]


# --- refusals, all answered as envelopes before a stream opens -----------------------------------


def end_user_count(app, app_id: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(EndUser).where(EndUser.app_id == uuid.UUID(app_id)))


@pytest.mark.parametrize("stream", [True, False])
def test_an_unpublished_app_is_refused_and_leaves_no_end_user(app, client, member, key, stream):
    app_id, _ = chat_app(client, member)

    assert_fail(open_chat(client, key, app_id=app_id, query="hello", stream=stream))
    assert end_user_count(app, app_id) == 0


@pytest.mark.parametrize("stream", [True, False])
def test_another_accounts_app_or_an_unknown_app_is_not_found(client, member, other_member, key, llm, stream):
    foreign_app_id, foreign_marker = published_app(client, other_member)
    llm.script_chat(foreign_marker, "theirs")
    theirs = success_data(open_chat(client, api_key_of(client, other_member), app_id=foreign_app_id, query="hi", stream=False))

    assert_not_found(open_chat(client, key, app_id=foreign_app_id, query="hello", stream=stream))
    assert_not_found(open_chat(client, key, app_id=str(uuid.uuid4()), query="hello", stream=stream))
    for body in ({"end_user_id": theirs["end_user_id"]}, {"end_user_id": theirs["end_user_id"], "conversation_id": theirs["conversation_id"]}):
        assert_not_found(open_chat(client, key, app_id=foreign_app_id, query="hello", stream=stream, **body))


@pytest.mark.parametrize("stream", [True, False])
def test_unknown_or_foreign_end_users_and_conversations_are_not_found(client, member, key, llm, stream):
    app_id, marker = published_app(client, member)
    other_app_id, other_marker = published_app(client, member)
    llm.script_chat(marker, "a", "b")
    llm.script_chat(other_marker, "c")
    mine = success_data(open_chat(client, key, app_id=app_id, query="mine", stream=False))
    someone_else = success_data(open_chat(client, key, app_id=app_id, query="someone else", stream=False))
    other_app = success_data(open_chat(client, key, app_id=other_app_id, query="other app", stream=False))
    debug_conversation_id = debug_chat(client, member, app_id, "debug")[0]["data"]["conversation_id"]

    def refused(**body):
        resp = open_chat(client, key, app_id=app_id, query="q", stream=stream, **body)
        assert_not_found(resp)

    refused(end_user_id=str(uuid.uuid4()))
    refused(end_user_id=other_app["end_user_id"])
    refused(end_user_id=mine["end_user_id"], conversation_id=str(uuid.uuid4()))
    refused(end_user_id=mine["end_user_id"], conversation_id=someone_else["conversation_id"])
    refused(end_user_id=mine["end_user_id"], conversation_id=debug_conversation_id)
    refused(end_user_id=other_app["end_user_id"], conversation_id=other_app["conversation_id"])
    # Without an end user a new one is created, and a conversation can't be a new end user's.
    refused(conversation_id=mine["conversation_id"])


def test_inactive_deleted_and_non_keys_are_unauthorized(client, member, llm):
    app_id, _ = published_app(client, member)
    inactive = api_key_of(client, member, is_active=False)
    deleted = api_key_of(client, member)
    deleted_id = success_data(client.get("/openapi/api-keys", headers=member.headers))["list"][0]["id"]
    success_data(client.post(f"/openapi/api-keys/{deleted_id}/delete", headers=member.headers))

    for headers in (key_headers(inactive), key_headers(deleted), member.headers, {}):
        resp = client.post("/openapi/chat", json={"app_id": app_id, "query": "hi", "stream": True}, headers=headers)
        assert_envelope(resp, 401, "unauthorized")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"query": "hi"}, "stream"),
        ({"query": "hi", "stream": "true"}, "stream"),
        ({"query": "hi", "stream": 1}, "stream"),
        ({"stream": True}, "query"),
        ({"query": "   ", "stream": True}, "query"),
        ({"query": "hi", "stream": True, "app_id": "not-a-uuid"}, "app_id"),
        ({"query": "hi", "stream": True, "end_user_id": "nope"}, "end_user_id"),
        ({"query": "hi", "stream": True, "conversation_id": 42}, "conversation_id"),
        ({"query": "hi", "stream": True, "image_urls": ["https://example.com/a.png"] * 6}, "image_urls"),
        ({"query": "hi", "stream": True, "image_urls": ["ftp://example.com/a.png"]}, "image_urls[0]"),
        ({"query": "x" * 10001, "stream": True}, "query"),
    ],
)
def test_invalid_input_is_a_validate_error_not_a_stream(client, member, key, body, field):
    app_id, _ = published_app(client, member)
    resp = open_chat(client, key, **{"app_id": app_id, **body})
    assert_validate_error(resp, field)


def test_a_missing_app_id_is_a_validate_error(client, key):
    assert_validate_error(open_chat(client, key, query="hi", stream=True), "app_id")
