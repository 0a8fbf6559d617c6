"""llmops-api.md §13 assistant agent: chat about the platform from its documentation, create an
app on request, stop, the account's own history and clearing it; against the session's fake model."""

import uuid
from urllib.parse import urlparse

from config import Settings

from internal.server import create_app
from test.api.apps import list_apps
from test.api.assertions import assert_fail, assert_not_found, success_data
from test.api.chat import answer_of, read_events
from test.api.knowledge_base import wait_for
from test.api.test_debug_chat import EVENT_FIELDS, StreamReader
from test.api.test_debug_conversation import wait_for_next_second
from test.conftest import create_member, make_settings
from test.fakes.openai_server import ChatReply, ToolCall


def marker() -> str:
    return f"marker-{uuid.uuid4().hex[:12]}"


def assistant_chat(client, member, query: str) -> list[dict]:
    return read_events(client.post("/assistant-agent/chat", json={"query": query}, headers=member.headers))


def assistant_messages(client, member, **query) -> dict:
    return success_data(client.get("/assistant-agent/messages", query_string=query, headers=member.headers))


def test_chat_streams_agent_events_with_every_field(client, member, llm):
    tag = marker()
    llm.script_chat(tag, ChatReply(text="LLMOps builds agent apps.", chunk_size=6))

    events = assistant_chat(client, member, f"What is this platform? {tag}")

    assert events[0]["event"] == "ping" and events[-1]["event"] == "agent_end"
    ids = {key: events[0]["data"][key] for key in ("task_id", "conversation_id", "message_id")}
    for event in events:
        data = event["data"]
        assert set(data) == EVENT_FIELDS
        assert data["event"] == event["event"]
        assert isinstance(data["latency"], float) and isinstance(data["observation"], str)
        assert {key: data[key] for key in ids} == ids
    assert answer_of(events) == "LLMOps builds agent apps."
    assert events[-1]["data"]["total_token_count"] > 0

    # The assistant's own prompt and tools, on the first configured provider's default model.
    (request,) = llm.chat_requests(lambda body: tag in str(body["messages"][-1]) and body.get("tools"))
    assert request["model"] == "gpt-4o-mini"
    assert "LLMOps assistant" in request["messages"][0]["content"]
    assert {tool["function"]["name"] for tool in request["tools"]} == {"dataset_retrieval", "create_app"}

    [stored] = assistant_messages(client, member)["list"]
    assert stored["id"] == ids["message_id"] and stored["conversation_id"] == ids["conversation_id"]
    assert stored["answer"] == "LLMOps builds agent apps."


def test_the_answer_can_use_the_platform_documentation(client, member, llm):
    tag = marker()
    llm.script_chat(
        tag,
        ChatReply(tool_calls=[ToolCall("dataset_retrieval", {"query": "how do I call a published app with an API key"})]),
        "Create an API key, then POST /openapi/chat.",
    )

    events = assistant_chat(client, member, f"How do I use the open API? {tag}")

    [retrieval] = [e for e in events if e["event"] == "dataset_retrieval"]
    observation = retrieval["data"]["observation"]
    assert "/openapi/chat" in observation and "llmops-v1/" in observation
    # The model's second round reads the passages.
    last_request = llm.chat_requests(tag)[-1]
    assert any("/openapi/chat" in str(message.get("content")) for message in last_request["messages"][1:])
    assert answer_of(events) == "Create an API key, then POST /openapi/chat."
    [stored] = assistant_messages(client, member)["list"]
    assert [step["event"] for step in stored["agent_thoughts"]] == ["agent_thought", "dataset_retrieval", "agent_message"]
    assert "/openapi/chat" in stored["agent_thoughts"][1]["observation"]


def test_create_app_tool_creates_an_agent_app_of_the_caller(client, member, other_member, llm):
    tag = marker()
    prompt = "你是一个LLM知识问答助手，用通俗的语言解释大语言模型相关的问题。"
    llm.script_chat(
        tag,
        ChatReply(tool_calls=[ToolCall("create_app", {"name": "LLM问答助手", "description": "回答LLM问题", "preset_prompt": prompt})]),
        "已为你创建应用。",
    )

    events = assistant_chat(client, member, f"帮我创建一个能回答LLM问题的Agent。{tag}")

    [action] = [e for e in events if e["event"] == "agent_action"]
    assert action["data"]["tool"] == "create_app"
    [app] = [a for a in list_apps(client, member) if a["name"] == "LLM问答助手"]
    assert app["id"] in action["data"]["observation"]
    assert app["description"] == "回答LLM问题" and app["status"] == "draft"
    draft = success_data(client.get(f"/apps/{app['id']}/draft-app-config", headers=member.headers))
    assert draft["preset_prompt"] == prompt
    assert draft["model_config"]["provider"] == "openai" and draft["model_config"]["model"] == "gpt-4o-mini"
    # The default icon is served by the API, without a token.
    icon = client.get(urlparse(app["icon"]).path)
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert all(a["name"] != "LLM问答助手" for a in list_apps(client, other_member))


def test_create_app_tool_answers_invalid_arguments_to_the_model(client, member, llm):
    tag = marker()
    llm.script_chat(
        tag,
        ChatReply(tool_calls=[ToolCall("create_app", {"name": "x" * 41, "description": "", "preset_prompt": "  "})]),
        "Sorry.",
    )
    before = len(list_apps(client, member))

    events = assistant_chat(client, member, f"Create an app {tag}")

    [action] = [e for e in events if e["event"] == "agent_action"]
    observation = action["data"]["observation"]
    assert observation.startswith("The app was not created") and "name" in observation and "preset_prompt" in observation
    assert events[-1]["event"] == "agent_end"
    assert len(list_apps(client, member)) == before


def test_messages_are_newest_first_with_a_created_at_cursor(client, member, llm):
    assert assistant_messages(client, member) == {
        "list": [], "paginator": {"current_page": 1, "page_size": 20, "total_page": 0, "total_record": 0},
    }
    for n in range(3):
        assert answer_of(assistant_chat(client, member, f"question {n}")) == f"Echo: question {n}"

    page = assistant_messages(client, member, page_size=2)
    assert [m["query"] for m in page["list"]] == ["question 2", "question 1"]
    assert page["paginator"] == {"current_page": 1, "page_size": 2, "total_page": 2, "total_record": 3}
    conversation_ids = {m["conversation_id"] for m in page["list"]}
    assert len(conversation_ids) == 1  # one conversation per account

    # A cursor taken from the first page keeps the second page stable while new messages arrive.
    cursor = page["list"][0]["created_at"]
    wait_for_next_second(cursor)
    assistant_chat(client, member, "question 3")
    second = assistant_messages(client, member, page_size=2, current_page=2, created_at=cursor)
    assert [m["query"] for m in second["list"]] == ["question 0"]
    assert assistant_messages(client, member)["paginator"]["total_record"] == 4

    resp = client.get("/assistant-agent/messages", query_string={"created_at": -1}, headers=member.headers)
    assert resp.json["code"] == "validate_error" and "created_at" in resp.json["message"]


def test_delete_conversation_starts_a_blank_one(client, member, llm):
    first = assistant_chat(client, member, "remember me")[0]["data"]["conversation_id"]

    resp = client.post("/assistant-agent/delete-conversation", headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "清空辅助Agent会话成功"}

    assert assistant_messages(client, member)["list"] == []
    events = assistant_chat(client, member, "hello again")
    assert events[0]["data"]["conversation_id"] != first
    # The cleared history is not sent to the model.
    last = llm.chat_requests(lambda body: "hello again" in str(body["messages"][-1]))[0]
    assert "remember me" not in str(last["messages"])
    assert [m["query"] for m in assistant_messages(client, member)["list"]] == ["hello again"]
    # Clearing with no conversation yet works too.
    assert client.post("/assistant-agent/delete-conversation", headers=member.headers).json["code"] == "success"


def test_another_account_sees_none_of_it(client, member, other_member, llm):
    events = assistant_chat(client, member, "private question")
    conversation_id = events[0]["data"]["conversation_id"]

    assert assistant_messages(client, other_member)["list"] == []
    # Nor through the conversation endpoints (§5): the assistant's conversation is not one of those.
    assert_not_found(client.get(f"/conversations/{conversation_id}/messages", headers=other_member.headers))
    assert_not_found(client.get(f"/conversations/{conversation_id}/messages", headers=member.headers))
    other = assistant_chat(client, other_member, "my own question")
    assert other[0]["data"]["conversation_id"] != conversation_id
    assert [m["query"] for m in assistant_messages(client, member)["list"]] == ["private question"]


def test_stop_ends_the_stream_and_stores_the_partial_answer(app, client, member, other_member, llm):
    tag = marker()
    llm.script_chat(tag, ChatReply(text="word " * 200, chunk_size=5, chunk_delay=0.05))
    resp = client.post("/assistant-agent/chat", json={"query": f"long story {tag}"}, headers=member.headers, buffered=False)
    stream = StreamReader(resp)
    task_id = next(stream)["data"]["task_id"]
    assert next(stream)["event"] == "agent_message"

    # Not another account's, not an unknown task.
    assert_not_found(client.post(f"/assistant-agent/chat/{task_id}/stop", headers=other_member.headers))
    assert_not_found(client.post(f"/assistant-agent/chat/{uuid.uuid4()}/stop", headers=member.headers))
    resp = client.post(f"/assistant-agent/chat/{task_id}/stop", headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "停止辅助Agent会话成功"}

    rest = list(stream)
    assert rest[-1]["event"] == "stop" and rest[-1]["data"]["task_id"] == task_id
    stored = wait_for(app, lambda: assistant_messages(client, member)["list"], "the stopped message", timeout=10)[0]
    assert stored["answer"].startswith("word") and len(stored["answer"]) < len("word " * 200)


def test_bad_input_is_a_validate_error(client, member):
    resp = client.post("/assistant-agent/chat", json={}, headers=member.headers)
    assert resp.json["code"] == "validate_error" and "query" in resp.json["message"]
    resp = client.post("/assistant-agent/chat", json={"query": "hi", "image_urls": ["not a url"]}, headers=member.headers)
    assert resp.json["code"] == "validate_error" and "image_urls" in resp.json["message"]
    assert client.post("/assistant-agent/chat", json={"query": "hi"}).status_code == 401


def test_an_unknown_configured_model_is_a_fail_naming_the_setting(app, client, member):
    settings = app.extensions["injector"].get(Settings).assistant_agent
    settings.assistant_agent_model = "no-such-model"
    try:
        resp = client.post("/assistant-agent/chat", json={"query": "hi"}, headers=member.headers)
    finally:
        settings.assistant_agent_model = ""
    assert_fail(resp)
    assert "ASSISTANT_AGENT_MODEL" in resp.json["message"]
    assert assistant_messages(client, member)["list"] == []


def test_no_model_configured_is_a_fail_naming_the_settings(tmp_path):
    """No provider has a key (and nothing names the assistant's model)."""
    flask_app = create_app(make_settings(tmp_path))
    client = flask_app.test_client()
    member = create_member(flask_app, client)

    resp = client.post("/assistant-agent/chat", json={"query": "hi"}, headers=member.headers)

    assert_fail(resp)
    assert "ASSISTANT_AGENT_PROVIDER" in resp.json["message"] and "OPENAI_API_KEY" in resp.json["message"]
    assert assistant_messages(client, member)["list"] == []
