"""llmops-api.md §15.1-15.3 WebApps and §5.1 their conversation list: any signed-in account reaches a
published app by its token, on the published config, with conversations of its own."""

import json
import uuid

import pytest

from test.api.apps import assert_updated, create_app, publish, update_draft, web_app
from test.api.assertions import assert_envelope, assert_not_found, assert_validate_error, success_data
from test.api.chat import answer_of, chat_app, read_events
from test.api.test_debug_chat import StreamReader
from test.fakes.openai_server import ChatReply


def get_web_app(client, member, token):
    return client.get(f"/web-apps/{token}", headers=member.headers)


def list_conversations(client, member, token, **query):
    return client.get(f"/web-apps/{token}/conversations", query_string=query, headers=member.headers)


def published_token(client, member, app_id) -> str:
    publish(client, member, app_id)
    return web_app(client, member, app_id)["token"]


# --- GET /web-apps/:token -----------------------------------------------------------------------


def test_web_app_shows_the_published_config_to_any_signed_in_account(client, member, other_member):
    app_id = create_app(client, member, name="产品经理助手")
    body = {
        "opening_statement": "你好，我是产品经理助手",
        "opening_questions": ["什么是LLM?", "如何写PRD?"],
        "suggested_after_answer": {"enable": False},
    }
    assert_updated(update_draft(client, member, app_id, body))
    token = published_token(client, member, app_id)
    # The draft moves on; the WebApp shows what was published.
    assert_updated(update_draft(client, member, app_id, {"opening_statement": "草稿里的新开场白"}))

    for reader in (member, other_member):  # no app-ownership check (llmops-api-index.md D57)
        data = success_data(get_web_app(client, reader, token))
        assert data["id"] == app_id and data["name"] == "产品经理助手"
        assert data["icon"].startswith("https://") and data["description"]
        assert data["app_config"] == {
            "opening_statement": "你好，我是产品经理助手",
            "opening_questions": ["什么是LLM?", "如何写PRD?"],
            "suggested_after_answer": {"enable": False},
            "features": ["tool_call", "agent_thought", "image_input"],
        }


def test_suggested_after_answer_is_always_present_and_on_by_default(client, member):
    app_id, _ = chat_app(client, member)
    token = published_token(client, member, app_id)
    config = success_data(get_web_app(client, member, token))["app_config"]
    assert config["suggested_after_answer"] == {"enable": True}
    assert config["opening_statement"] == "" and config["opening_questions"] == []


def test_features_follow_the_published_model(client, member):
    app_id, _ = chat_app(client, member, model_config={"provider": "deepseek", "model": "deepseek-chat", "parameters": {}})
    token = published_token(client, member, app_id)
    features = success_data(get_web_app(client, member, token))["app_config"]["features"]
    assert features == ["tool_call", "agent_thought"]


def test_unknown_regenerated_and_withdrawn_tokens_are_not_found(client, member):
    assert_not_found(get_web_app(client, member, "JyXc763dv4A3A2TC"))
    assert_not_found(list_conversations(client, member, "JyXc763dv4A3A2TC"))

    app_id = create_app(client, member)
    old = published_token(client, member, app_id)
    resp = client.post(f"/apps/{app_id}/published-config/regenerate-web-app-token", headers=member.headers)
    new = success_data(resp)["token"]
    assert_not_found(get_web_app(client, member, old))
    assert success_data(get_web_app(client, member, new))["id"] == app_id

    assert client.post(f"/apps/{app_id}/cancel-publish", headers=member.headers).json["code"] == "success"
    assert_not_found(get_web_app(client, member, new))
    assert_not_found(list_conversations(client, member, new))


def test_deleting_the_app_closes_its_web_app(client, member):
    app_id = create_app(client, member)
    token = published_token(client, member, app_id)
    assert client.post(f"/apps/{app_id}/delete", headers=member.headers).json["code"] == "success"
    assert_not_found(get_web_app(client, member, token))
    assert_not_found(list_conversations(client, member, token))


@pytest.mark.parametrize(
    "path", ["/web-apps/{token}", "/web-apps/{token}/conversations"]
)
def test_web_app_routes_need_a_signed_in_account(client, member, path):
    token = published_token(client, member, create_app(client, member))
    assert_envelope(client.get(path.format(token=token)), 401, "unauthorized")


# --- GET /web-apps/:token/conversations -----------------------------------------------------------


@pytest.mark.parametrize("value", ["True", "1", "yes", "", "false "])
def test_is_pinned_takes_the_strings_true_and_false_only(client, member, value):
    token = published_token(client, member, create_app(client, member))
    assert_validate_error(list_conversations(client, member, token, is_pinned=value), "is_pinned")


def test_a_web_app_without_conversations_lists_none(client, member):
    token = published_token(client, member, create_app(client, member))
    for query in ({}, {"is_pinned": "true"}, {"is_pinned": "false"}):
        assert success_data(list_conversations(client, member, token, **query)) == []


# --- POST /web-apps/:token/chat -------------------------------------------------------------------


def web_chat(client, member, token, query: str, **body):
    return client.post(f"/web-apps/{token}/chat", json={"query": query, **body}, headers=member.headers)


def published_chat_app(client, member, llm=None, reply: str | None = None) -> tuple[str, str, str]:
    """A published app on the fake model: (app id, marker, token); `reply` scripts its next answer."""
    app_id, marker = chat_app(client, member)
    token = published_token(client, member, app_id)
    if reply is not None:
        llm.script_chat(marker, reply)
    return app_id, marker, token


def agent_requests(llm, marker) -> list[dict]:
    return llm.chat_requests(lambda body: marker in json.dumps(body["messages"][0], ensure_ascii=False))


def test_chat_runs_the_published_config_and_starts_a_conversation_of_the_caller(client, member, llm):
    app_id, marker, token = published_chat_app(client, member)
    # The draft moves on after publishing; the WebApp keeps talking with what was published.
    assert_updated(update_draft(client, member, app_id, {"preset_prompt": "draft only prompt"}))
    llm.script_chat(marker, ChatReply(text="你好，我是发布的应用。", chunk_size=4))

    events = read_events(web_chat(client, member, token, "你好", conversation_id=""))

    assert events[0]["event"] == "ping" and events[-1]["event"] == "agent_end"
    assert answer_of(events) == "你好，我是发布的应用。"
    conversation_id = events[0]["data"]["conversation_id"]
    # A new conversation's id reaches the client in every event.
    assert uuid.UUID(conversation_id) and all(e["data"]["conversation_id"] == conversation_id for e in events)
    (request,) = agent_requests(llm, marker)
    assert "draft only prompt" not in json.dumps(request["messages"], ensure_ascii=False)

    listed = success_data(list_conversations(client, member, token))
    assert [c["id"] for c in listed] == [conversation_id]
    assert set(listed[0]) == {"id", "name", "summary", "created_at"} and listed[0]["created_at"] > 0
    assert success_data(list_conversations(client, member, token, is_pinned="true")) == []
    # Not the app's debug conversation: the debug view stays empty.
    assert success_data(client.get(f"/apps/{app_id}/conversations/messages", headers=member.headers))["list"] == []


def test_a_named_conversation_continues_with_its_history(client, member, llm):
    _, marker, token = published_chat_app(client, member)
    llm.script_chat(marker, "第一个回答")
    first = read_events(web_chat(client, member, token, "第一个问题"))
    conversation_id = first[0]["data"]["conversation_id"]
    llm.script_chat(marker, "第二个回答")

    second = read_events(web_chat(client, member, token, "第二个问题", conversation_id=conversation_id))

    assert all(e["data"]["conversation_id"] == conversation_id for e in second)
    assert answer_of(second) == "第二个回答"
    last_request = agent_requests(llm, marker)[-1]
    contents = [m.get("content") for m in last_request["messages"]]
    assert "第一个问题" in contents and "第一个回答" in contents and contents[-1] == "第二个问题"


def test_anyone_signed_in_may_chat_but_conversations_stay_their_owners(client, member, other_member, llm):
    _, marker, token = published_chat_app(client, member)
    mine = read_events(web_chat(client, member, token, "我的问题"))[0]["data"]["conversation_id"]

    theirs_events = read_events(web_chat(client, other_member, token, "别人的问题"))
    theirs = theirs_events[0]["data"]["conversation_id"]
    assert theirs != mine and theirs_events[-1]["event"] == "agent_end"
    assert [c["id"] for c in success_data(list_conversations(client, member, token))] == [mine]
    assert [c["id"] for c in success_data(list_conversations(client, other_member, token))] == [theirs]

    # Someone else's conversation is not found, before any stream opens.
    assert_not_found(web_chat(client, other_member, token, "偷看", conversation_id=mine))
    assert_not_found(web_chat(client, member, token, "不存在", conversation_id=str(uuid.uuid4())))


def test_a_conversation_of_another_app_cannot_be_continued(client, member, llm):
    _, _, token = published_chat_app(client, member)
    _, _, other_token = published_chat_app(client, member)
    conversation_id = read_events(web_chat(client, member, other_token, "你好"))[0]["data"]["conversation_id"]
    assert_not_found(web_chat(client, member, token, "换个应用继续", conversation_id=conversation_id))


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "query"),
        ({"query": "   "}, "query"),
        ({"query": 1}, "query"),
        ({"query": "hi", "conversation_id": "not-a-uuid"}, "conversation_id"),
        ({"query": "hi", "conversation_id": 5}, "conversation_id"),
        ({"query": "hi", "image_urls": ["https://example.com/a.png"] * 6}, "image_urls"),
        ({"query": "hi", "image_urls": ["ftp://example.com/a.png"]}, "image_urls[0]"),
    ],
)
def test_invalid_chat_bodies_are_validate_errors(client, member, body, field):
    token = published_token(client, member, create_app(client, member))
    resp = client.post(f"/web-apps/{token}/chat", json=body, headers=member.headers)
    assert_validate_error(resp, field)


def test_chat_with_an_unknown_or_withdrawn_token_or_without_login_is_refused(client, member, llm):
    app_id, _, token = published_chat_app(client, member)
    assert_not_found(web_chat(client, member, "JyXc763dv4A3A2TC", "你好"))
    assert_envelope(client.post(f"/web-apps/{token}/chat", json={"query": "你好"}), 401, "unauthorized")
    assert client.post(f"/apps/{app_id}/cancel-publish", headers=member.headers).json["code"] == "success"
    assert_not_found(web_chat(client, member, token, "你好"))


# --- §5 conversation endpoints on WebApp conversations --------------------------------------------


def test_conversation_endpoints_work_on_web_app_conversations(client, member, other_member, llm):
    _, marker, token = published_chat_app(client, member)
    llm.script_chat(marker, "回答")
    events = read_events(web_chat(client, member, token, "问题"))
    conversation_id, message_id = events[0]["data"]["conversation_id"], events[0]["data"]["message_id"]
    headers = member.headers

    page = success_data(client.get(f"/conversations/{conversation_id}/messages", headers=headers))
    assert [(m["id"], m["query"], m["answer"]) for m in page["list"]] == [(message_id, "问题", "回答")]

    resp = client.post(f"/conversations/{conversation_id}/name", json={"name": "新名字"}, headers=headers)
    assert success_data(resp, message="修改会话名称成功") == {}
    resp = client.post(f"/conversations/{conversation_id}/is-pinned", json={"is_pinned": True}, headers=headers)
    assert resp.json["code"] == "success", resp.json
    pinned = success_data(list_conversations(client, member, token, is_pinned="true"))
    assert [(c["id"], c["name"]) for c in pinned] == [(conversation_id, "新名字")]
    assert success_data(list_conversations(client, member, token, is_pinned="false")) == []

    # The WebApp's other users cannot touch it.
    for path in ("messages", "name"):
        assert_not_found(client.get(f"/conversations/{conversation_id}/{path}", headers=other_member.headers))
    assert_not_found(client.post(f"/conversations/{conversation_id}/delete", headers=other_member.headers))

    resp = client.post(f"/conversations/{conversation_id}/delete", headers=headers)
    assert resp.json["code"] == "success", resp.json
    assert success_data(list_conversations(client, member, token, is_pinned="true")) == []
    assert_not_found(web_chat(client, member, token, "继续", conversation_id=conversation_id))


# --- POST /web-apps/:token/chat/:task_id/stop -----------------------------------------------------


def test_stop_ends_the_callers_web_app_run(app, client, member, other_member, llm):
    _, marker, token = published_chat_app(client, member)
    llm.script_chat(marker, ChatReply(text="word " * 200, chunk_size=5, chunk_delay=0.05))
    stream = StreamReader(
        client.post(f"/web-apps/{token}/chat", json={"query": "讲个长故事"}, headers=member.headers, buffered=False)
    )
    first = next(stream)
    task_id, conversation_id = first["data"]["task_id"], first["data"]["conversation_id"]
    assert next(stream)["event"] == "agent_message"

    # Not someone else's to stop, nor a task that does not exist.
    assert_not_found(client.post(f"/web-apps/{token}/chat/{task_id}/stop", headers=other_member.headers))
    assert_not_found(client.post(f"/web-apps/{token}/chat/{uuid.uuid4()}/stop", headers=member.headers))
    assert_not_found(client.post(f"/web-apps/JyXc763dv4A3A2TC/chat/{task_id}/stop", headers=member.headers))

    resp = client.post(f"/web-apps/{token}/chat/{task_id}/stop", headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "停止WebApp会话成功"}
    rest = list(stream)
    assert rest[-1]["event"] == "stop" and rest[-1]["data"]["conversation_id"] == conversation_id
    page = success_data(client.get(f"/conversations/{conversation_id}/messages", headers=member.headers))
    answer = page["list"][0]["answer"]
    assert answer.startswith("word") and len(answer) < len("word " * 200)
