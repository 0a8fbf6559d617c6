"""llmops-api.md §5.2-5.7: a conversation's messages, deleting it or its messages, its name and its pin."""

import time
import uuid

import pytest

from test.api.apps import get_app
from test.api.assertions import assert_not_found, assert_validate_error, success_data
from test.api.chat import chat_app
from test.api.test_debug_conversation import MESSAGE_FIELDS, chat, debug_page, queries, wait_for_next_second

DEFAULT_NAME = "New Conversation"


def messages(client, member, conversation_id, **query):
    return client.get(f"/conversations/{conversation_id}/messages", query_string=query, headers=member.headers)


def messages_page(client, member, conversation_id, **query) -> dict:
    resp = messages(client, member, conversation_id, **query)
    return success_data(resp)


def delete_conversation(client, member, conversation_id):
    return client.post(f"/conversations/{conversation_id}/delete", headers=member.headers)


def delete_message(client, member, conversation_id, message_id, alias: bool = False):
    path = f"/conversations/{conversation_id}/messages/{message_id}" + ("" if alias else "/delete")
    return client.post(path, headers=member.headers)


def get_name(client, member, conversation_id):
    return client.get(f"/conversations/{conversation_id}/name", headers=member.headers)


def update_name(client, member, conversation_id, body):
    return client.post(f"/conversations/{conversation_id}/name", json=body, headers=member.headers)


def update_is_pinned(client, member, conversation_id, body):
    return client.post(f"/conversations/{conversation_id}/is-pinned", json=body, headers=member.headers)


def generated_name(client, member, conversation_id, timeout: float = 10.0) -> str:
    """The name the LLM gives a new conversation shortly after its first reply."""
    deadline = time.monotonic() + timeout
    while True:
        resp = get_name(client, member, conversation_id)
        assert resp.json["code"] == "success", resp.json
        name = resp.json["data"]["name"]
        if name != DEFAULT_NAME or time.monotonic() > deadline:
            return name
        time.sleep(0.05)


@pytest.fixture
def conversation(client, member) -> tuple[str, str]:
    """A debug conversation with one round: (app id, conversation id)."""
    app_id, _ = chat_app(client, member)
    return app_id, chat(client, member, app_id, "q1")


# --- llmops-api.md §5.2 messages --------------------------------------------------------------------


def test_messages_match_the_debug_list_newest_first(client, member, conversation):
    app_id, conversation_id = conversation
    chat(client, member, app_id, "q2")

    page = messages_page(client, member, conversation_id)
    assert page["paginator"] == {"current_page": 1, "page_size": 20, "total_page": 1, "total_record": 2}
    assert queries(page) == ["q2", "q1"]
    assert all(set(item) == MESSAGE_FIELDS and item["conversation_id"] == conversation_id for item in page["list"])
    assert page["list"][0]["answer"] == "Echo: q2"
    assert [t["event"] for t in page["list"][0]["agent_thoughts"]] == ["agent_message"]
    assert page["list"] == debug_page(client, member, app_id)["list"]

    second = messages_page(client, member, conversation_id, page_size=1, current_page=2)
    assert queries(second) == ["q1"]
    assert second["paginator"] == {"current_page": 2, "page_size": 1, "total_page": 2, "total_record": 2}


def test_created_at_zero_is_no_cursor_and_a_cursor_leaves_newer_messages_out(client, member, conversation):
    app_id, conversation_id = conversation
    cursor = int(time.time())
    wait_for_next_second(cursor)
    chat(client, member, app_id, "q2")

    assert queries(messages_page(client, member, conversation_id)) == ["q2", "q1"]
    assert queries(messages_page(client, member, conversation_id, created_at=0)) == ["q2", "q1"]
    at_cursor = messages_page(client, member, conversation_id, created_at=cursor)
    assert queries(at_cursor) == ["q1"] and at_cursor["paginator"]["total_record"] == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 51}, "page_size"),
        ({"current_page": "x"}, "current_page"),
        ({"created_at": "x"}, "created_at"),
        ({"created_at": -5}, "created_at"),
    ],
)
def test_bad_paging_is_a_validate_error(client, member, conversation, query, field):
    _, conversation_id = conversation
    assert_validate_error(messages(client, member, conversation_id, **query), field)


# --- llmops-api.md §5.3 deleting a conversation ------------------------------------------------------


def test_deleting_the_conversation_deletes_its_messages_and_frees_the_app(client, member, conversation):
    app_id, conversation_id = conversation

    resp = delete_conversation(client, member, conversation_id)
    assert resp.json == {"code": "success", "data": {}, "message": "删除会话成功"}
    assert_not_found(messages(client, member, conversation_id))
    assert_not_found(get_name(client, member, conversation_id))
    assert_not_found(delete_conversation(client, member, conversation_id))

    # It was the app's debug conversation: the app lets go of it and the next chat starts anew.
    assert get_app(client, member, app_id)["debug_conversation_id"] == ""
    assert debug_page(client, member, app_id)["list"] == []
    assert chat(client, member, app_id, "q2") != conversation_id
    assert queries(debug_page(client, member, app_id)) == ["q2"]


# --- llmops-api.md §5.4 deleting a message --------------------------------------------------------------


def test_deleting_a_message_hides_it_from_both_lists(client, member, conversation):
    app_id, conversation_id = conversation
    chat(client, member, app_id, "q2")
    q2, q1 = messages_page(client, member, conversation_id)["list"]

    resp = delete_message(client, member, conversation_id, q1["id"])
    assert resp.json == {"code": "success", "data": {}, "message": "删除会话消息成功"}
    assert queries(messages_page(client, member, conversation_id)) == ["q2"]
    assert queries(debug_page(client, member, app_id)) == ["q2"]
    assert_not_found(delete_message(client, member, conversation_id, q1["id"]))

    # The route without /delete is an alias.
    resp = delete_message(client, member, conversation_id, q2["id"], alias=True)
    assert resp.json == {"code": "success", "data": {}, "message": "删除会话消息成功"}
    assert messages_page(client, member, conversation_id)["list"] == []


def test_a_message_is_only_deleted_through_its_own_conversation(client, member, conversation):
    _, conversation_id = conversation
    other_app_id, _ = chat_app(client, member)
    other_conversation_id = chat(client, member, other_app_id, "elsewhere")
    (elsewhere,) = messages_page(client, member, other_conversation_id)["list"]

    assert_not_found(delete_message(client, member, conversation_id, elsewhere["id"]))
    assert_not_found(delete_message(client, member, conversation_id, elsewhere["id"], alias=True))
    assert_not_found(delete_message(client, member, conversation_id, uuid.uuid4()))
    assert queries(messages_page(client, member, other_conversation_id)) == ["elsewhere"]


# --- llmops-api.md §5.5, §5.6 name --------------------------------------------------------------------------


def test_a_new_conversation_is_named_after_its_first_reply_and_can_be_renamed(client, member, conversation):
    _, conversation_id = conversation
    # The fake model answers the naming request with "Echo: <the first question>".
    assert generated_name(client, member, conversation_id) == "Echo: q1"

    resp = update_name(client, member, conversation_id, {"name": "新的LLMOps会话"})
    assert resp.json == {"code": "success", "data": {}, "message": "修改会话名称成功"}
    renamed = get_name(client, member, conversation_id).json
    assert renamed == {"code": "success", "data": {"name": "新的LLMOps会话"}, "message": ""}

    assert update_name(client, member, conversation_id, {"name": "  " + "名" * 100 + "  "}).json["code"] == "success"
    assert get_name(client, member, conversation_id).json["data"]["name"] == "名" * 100


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "   "}, {"name": "名" * 101}, {"name": 5}, {"name": None}],
)
def test_rename_validates_the_name(client, member, conversation, body):
    _, conversation_id = conversation
    before = generated_name(client, member, conversation_id)
    assert_validate_error(update_name(client, member, conversation_id, body), "name")
    assert get_name(client, member, conversation_id).json["data"]["name"] == before


def test_rename_ignores_unknown_fields(client, member, conversation):
    _, conversation_id = conversation
    assert update_name(client, member, conversation_id, {"name": "新名字", "is_pinned": True}).json["code"] == "success"
    assert get_name(client, member, conversation_id).json["data"]["name"] == "新名字"


# --- llmops-api.md §5.7 pin -----------------------------------------------------------------------------------


def test_pin_and_unpin(client, member, conversation):
    _, conversation_id = conversation
    for is_pinned in (True, False):
        resp = update_is_pinned(client, member, conversation_id, {"is_pinned": is_pinned})
        assert resp.json == {"code": "success", "data": {}, "message": "修改会话置顶状态成功"}


@pytest.mark.parametrize(
    "body", [{}, {"is_pinned": "true"}, {"is_pinned": 1}, {"is_pinned": None}, {"is_pinned": "yes"}]
)
def test_pin_needs_a_strict_bool(client, member, conversation, body):
    _, conversation_id = conversation
    assert_validate_error(update_is_pinned(client, member, conversation_id, body), "is_pinned")


# --- ownership ------------------------------------------------------------------------------------------------


def test_another_account_gets_not_found_everywhere(client, member, other_member, conversation):
    app_id, conversation_id = conversation
    (message,) = messages_page(client, member, conversation_id)["list"]
    name = generated_name(client, member, conversation_id)

    assert_not_found(messages(client, other_member, conversation_id))
    assert_not_found(delete_conversation(client, other_member, conversation_id))
    assert_not_found(delete_message(client, other_member, conversation_id, message["id"]))
    assert_not_found(delete_message(client, other_member, conversation_id, message["id"], alias=True))
    assert_not_found(get_name(client, other_member, conversation_id))
    assert_not_found(update_name(client, other_member, conversation_id, {"name": "hijacked"}))
    assert_not_found(update_is_pinned(client, other_member, conversation_id, {"is_pinned": True}))

    # A foreign conversation answers exactly like one that does not exist.
    foreign = messages(client, other_member, conversation_id).json
    assert foreign == messages(client, other_member, uuid.uuid4()).json

    assert queries(messages_page(client, member, conversation_id)) == ["q1"]
    assert get_name(client, member, conversation_id).json["data"]["name"] == name
    assert get_app(client, member, app_id)["debug_conversation_id"] == conversation_id


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/conversations/{}/messages"),
        ("POST", "/conversations/{}/delete"),
        ("POST", "/conversations/{}/messages/{}/delete"),
        ("POST", "/conversations/{}/messages/{}"),
        ("GET", "/conversations/{}/name"),
        ("POST", "/conversations/{}/name"),
        ("POST", "/conversations/{}/is-pinned"),
    ],
)
def test_unknown_or_malformed_ids_are_not_found(client, member, method, path):
    bodies = {"/name": {"name": "x"}, "/is-pinned": {"is_pinned": True}}
    body = next((b for end, b in bodies.items() if path.endswith(end)), None) if method == "POST" else None
    unknown = path.format(uuid.uuid4(), uuid.uuid4())
    assert_not_found(client.open(unknown, method=method, json=body, headers=member.headers))
    malformed = path.format("not-a-uuid", uuid.uuid4())
    assert_not_found(client.open(malformed, method=method, json=body, headers=member.headers))
