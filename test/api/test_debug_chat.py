"""llmops-api.md §1.11-1.12 debug chat: the agent runtime end to end, against the session's fake model."""

import json
import threading
import uuid

import pytest
import sqlalchemy

from config import Settings
from config.settings import AgentSettings
from internal.aistack.resources.quotas import ResourceQuotas
from internal.extension.database import db
from internal.model import Message
from internal.model.conversation import MessageStatus
from internal.server import create_app
from test.api.assertions import success_data
from test.api.chat import answer_of, chat_app, debug_chat
from test.api.knowledge_base import build_document, create_dataset, wait_for
from test.api.test_api_tools import create_provider
from test.conftest import _common_overrides, create_member, make_settings
from test.fakes.http_server import Reply
from test.fakes.openai_server import ChatReply, ToolCall
from test.fakes.scripted_server import ScriptedServer

EVENT_FIELDS = {
    "id", "event", "conversation_id", "message_id", "task_id", "thought", "observation", "tool", "tool_input",
    "answer", "total_token_count", "total_price", "latency", "created_at",
}
TIME_TOOL = {"type": "builtin_tool", "provider_id": "time", "tool_id": "current_time", "params": {}}
CALCULATOR = {"type": "builtin_tool", "provider_id": "calculator", "tool_id": "calculator", "params": {}}


def names(events) -> list[str]:
    return [e["event"] for e in events]


def debug_messages(client, member, app_id) -> list[dict]:
    resp = client.get(f"/apps/{app_id}/conversations/messages", headers=member.headers)
    return success_data(resp)["list"]


def agent_requests(llm, marker) -> list[dict]:
    """The model calls of the app's agent (its preset prompt carries the marker)."""
    return llm.chat_requests(lambda body: marker in json.dumps(body["messages"][0], ensure_ascii=False))


class StreamReader:
    """Reads a streamed response event by event, as a browser would."""

    def __init__(self, resp):
        assert resp.status_code == 200 and resp.mimetype == "text/event-stream", resp.data
        self._chunks = iter(resp.response)
        self._buffer = ""
        self.resp = resp

    def __iter__(self):
        return self

    def __next__(self) -> dict:
        while "\n\n" not in self._buffer:
            chunk = next(self._chunks)
            self._buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        block, self._buffer = self._buffer.split("\n\n", 1)
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        return {"event": lines["event"], "data": json.loads(lines["data"])}


def open_stream(client, member, app_id, query) -> StreamReader:
    resp = client.post(
        f"/apps/{app_id}/conversations", json={"query": query}, headers=member.headers, buffered=False
    )
    return StreamReader(resp)


# --- plain answers --------------------------------------------------------------------------------


def test_plain_answer_streams_in_chunks_and_ends_with_the_totals(client, member, llm):
    app_id, marker = chat_app(client, member)
    # Chunks spaced out, so the stream keeps up and passes each one on (it merges those it fell behind on).
    llm.script_chat(marker, ChatReply(text="LLM is a large language model.", chunk_size=5, chunk_delay=0.02, usage=(40, 8)))

    events = debug_chat(client, member, app_id, "What is an LLM?")

    # The first event comes before the model's output and carries the ids.
    first = events[0]
    assert first["event"] == "ping"
    task_id, conversation_id, message_id = (first["data"][k] for k in ("task_id", "conversation_id", "message_id"))
    assert all(uuid.UUID(value) for value in (task_id, conversation_id, message_id))
    for event in events:
        assert set(event["data"]) == EVENT_FIELDS
        assert event["data"]["event"] == event["event"]
        assert (event["data"]["task_id"], event["data"]["conversation_id"], event["data"]["message_id"]) == (
            task_id, conversation_id, message_id,
        )
    messages = [e for e in events if e["event"] == "agent_message"]
    assert len(messages) > 3 and len({e["data"]["id"] for e in messages}) == 1
    # Chunks travel in both `thought` and `answer`.
    assert all(e["data"]["thought"] == e["data"]["answer"] for e in messages)
    assert answer_of(events) == "LLM is a large language model."
    end = events[-1]
    assert end["event"] == "agent_end"
    assert end["data"]["total_token_count"] == 48
    # gpt-4o-mini: 1.1 CNY per million input tokens, 4.4 per million output tokens.
    assert end["data"]["total_price"] == pytest.approx((40 * 1.1 + 8 * 4.4) / 1_000_000)
    assert isinstance(end["data"]["latency"], float) and end["data"]["latency"] > 0
    assert all(e["data"]["total_token_count"] == 0 for e in events[:-1])

    stored = debug_messages(client, member, app_id)[0]
    assert stored["id"] == message_id and stored["conversation_id"] == conversation_id
    assert stored["query"] == "What is an LLM?" and stored["answer"] == "LLM is a large language model."
    assert stored["total_token_count"] == 48 and isinstance(stored["latency"], float)
    assert [t["event"] for t in stored["agent_thoughts"]] == ["agent_message"]
    assert stored["agent_thoughts"][0]["thought"] == "LLM is a large language model."
    assert stored["agent_thoughts"][0]["id"] == messages[0]["data"]["id"]


def test_the_request_to_the_model_carries_the_preset_prompt_and_the_query(client, member, llm):
    app_id, marker = chat_app(client, member, model_config={"provider": "openai", "model": "gpt-4o", "parameters": {"temperature": 0.3}})
    debug_chat(client, member, app_id, "你好")
    (request,) = agent_requests(llm, marker)
    assert request["model"] == "gpt-4o" and request["stream"] is True and request["temperature"] == 0.3
    assert request["messages"][0]["role"] == "system" and marker in request["messages"][0]["content"]
    assert request["messages"][-1] == {"role": "user", "content": "你好"}
    assert "tools" not in request


# --- tools ----------------------------------------------------------------------------------------


def test_builtin_tool_call_is_thought_then_action_then_answer(client, member, llm):
    app_id, marker = chat_app(client, member, tools=[TIME_TOOL])
    llm.script_chat(marker, ChatReply(tool_calls=[ToolCall("current_time", {})]), ChatReply(text="现在是下午。"))

    events = debug_chat(client, member, app_id, "现在几点？")

    assert names(events)[:3] == ["ping", "agent_thought", "agent_action"]
    thought, action = events[1]["data"], events[2]["data"]
    calls = json.loads(thought["thought"])
    assert [(c["name"], c["args"], c["type"]) for c in calls] == [("current_time", {}, "tool_call")]
    assert action["tool"] == "current_time" and action["tool_input"] == {}
    assert action["observation"].startswith("20")  # the time tool's date
    assert answer_of(events) == "现在是下午。" and events[-1]["event"] == "agent_end"

    first, second = agent_requests(llm, marker)
    assert [tool["function"]["name"] for tool in first["tools"]] == ["current_time"]
    tool_message = second["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == calls[0]["id"]
    assert tool_message["content"] == action["observation"]

    stored = debug_messages(client, member, app_id)[0]
    assert [(t["position"], t["event"]) for t in stored["agent_thoughts"]] == [
        (1, "agent_thought"), (2, "agent_action"), (3, "agent_message"),
    ]
    assert stored["agent_thoughts"][1]["tool"] == "current_time"


def test_several_tool_calls_of_one_turn_all_run(client, member, llm):
    app_id, marker = chat_app(client, member, tools=[TIME_TOOL, CALCULATOR])
    llm.script_chat(
        marker,
        ChatReply(tool_calls=[ToolCall("calculator", {"expression": "6*7"}), ToolCall("current_time", {})]),
        ChatReply(text="42, and the time."),
    )

    events = debug_chat(client, member, app_id, "6*7 and the time?")

    actions = {e["data"]["tool"]: e["data"] for e in events if e["event"] == "agent_action"}
    assert set(actions) == {"calculator", "current_time"}
    assert actions["calculator"]["observation"] == "42" and actions["calculator"]["tool_input"] == {"expression": "6*7"}
    second = agent_requests(llm, marker)[1]
    tool_messages = [m for m in second["messages"] if m["role"] == "tool"]
    assert len(tool_messages) == 2 and {m["content"] for m in tool_messages} >= {"42"}


def test_api_tool_call_reaches_the_api(client, member, llm):
    api = ScriptedServer(lambda request: Reply(200, {"city": request.query.get("location", [""])[0], "weather": "晴"})).start()
    try:
        schema = {
            "description": "天气查询",
            "server": api.url,
            "paths": {
                "/weather": {
                    "get": {
                        "description": "查询城市天气",
                        "operationId": "GetWeather",
                        "parameters": [{"name": "location", "in": "query", "description": "城市", "type": "str"}],
                    }
                }
            },
        }
        provider_id = create_provider(
            client, member, name=f"天气-{uuid.uuid4().hex[:6]}", openapi_schema=json.dumps(schema, ensure_ascii=False),
            headers=[{"key": "X-Key", "value": "secret"}],
        )
        tool = client.get(f"/api-tools/{provider_id}/tools/GetWeather", headers=member.headers).json["data"]
        app_id, marker = chat_app(
            client, member, tools=[{"type": "api_tool", "provider_id": provider_id, "tool_id": tool["id"], "params": {}}]
        )
        llm.script_chat(marker, ChatReply(tool_calls=[ToolCall("GetWeather", {"location": "广州"})]), "广州今天晴。")

        events = debug_chat(client, member, app_id, "广州天气")

        action = next(e["data"] for e in events if e["event"] == "agent_action")
        assert action["tool"] == "GetWeather" and action["tool_input"] == {"location": "广州"}
        assert json.loads(action["observation"]) == {"city": "广州", "weather": "晴"}
        (request,) = api.requests
        assert request.path == "/weather" and request.headers["x-key"] == "secret"
        assert answer_of(events) == "广州今天晴。"
    finally:
        api.stop()


def test_dataset_retrieval_finds_the_bound_knowledge(app, client, member, llm):
    dataset_id = create_dataset(client, member)
    build_document(
        app, client, member, dataset_id, "faq.txt",
        "慕课LLMOps课程的上课时间是每周三晚上八点。\n\n课程助教的微信号是 llmops-helper。".encode(),
    )
    app_id, marker = chat_app(
        client, member, datasets=[dataset_id],
        retrieval_config={"retrieval_strategy": "full_text", "k": 2, "score": 0},
    )
    llm.script_chat(marker, ChatReply(tool_calls=[ToolCall("dataset_retrieval", {"query": "上课时间"})]), "每周三晚上八点。")

    events = debug_chat(client, member, app_id, "课程什么时候上课？")

    retrieval = next(e["data"] for e in events if e["event"] == "dataset_retrieval")
    assert retrieval["tool"] == "dataset_retrieval" and retrieval["tool_input"] == {"query": "上课时间"}
    assert "每周三晚上八点" in retrieval["observation"]
    assert "dataset_retrieval" in [t["function"]["name"] for t in agent_requests(llm, marker)[0]["tools"]]
    # The query is recorded with source App.
    queries = client.get(f"/datasets/{dataset_id}/queries", headers=member.headers).json["data"]
    assert queries[0]["query"] == "上课时间" and queries[0]["source"] == "App"


def test_models_without_tool_calling_use_tools_through_react(client, member, llm):
    app_id, marker = chat_app(
        client, member, tools=[CALCULATOR], model_config={"provider": "ollama", "model": "gemma2", "parameters": {}}
    )
    llm.script_chat(
        marker,
        ChatReply(text='Action: {"name": "calculator", "args": {"expression": "2**10"}}', chunk_size=3),
        ChatReply(text="The answer is 1024.", chunk_size=3),
    )

    events = debug_chat(client, member, app_id, "What is 2 to the 10th?")

    action = next(e["data"] for e in events if e["event"] == "agent_action")
    assert action["tool"] == "calculator" and action["observation"] == "1024"
    # The action text is never streamed as the answer.
    assert answer_of(events) == "The answer is 1024."
    first, second = agent_requests(llm, marker)
    assert "tools" not in first and "calculator" in first["messages"][0]["content"]
    assert "Action:" in first["messages"][0]["content"]
    assert second["messages"][-1]["role"] == "user" and "1024" in second["messages"][-1]["content"]


def test_a_failing_tool_is_an_observation_not_a_failed_run(client, member, llm):
    app_id, marker = chat_app(client, member, tools=[CALCULATOR])
    llm.script_chat(marker, ChatReply(tool_calls=[ToolCall("calculator", {"expression": "1/0"})]), "Cannot divide by zero.")
    events = debug_chat(client, member, app_id, "1/0?")
    action = next(e["data"] for e in events if e["event"] == "agent_action")
    assert "zero" in action["observation"].lower()
    assert events[-1]["event"] == "agent_end"


def test_the_last_round_gets_no_tools_so_a_run_always_answers(client, member, llm):
    app_id, marker = chat_app(client, member, tools=[TIME_TOOL])
    llm.script_chat(marker, *[ChatReply(tool_calls=[ToolCall("current_time", {})]) for _ in range(4)], "Done.")
    events = debug_chat(client, member, app_id, "loop")
    requests = agent_requests(llm, marker)
    assert len(requests) == 5 and "tools" not in requests[-1]
    assert answer_of(events) == "Done." and events[-1]["event"] == "agent_end"


# --- review -----------------------------------------------------------------------------------------

REVIEW = {
    "enable": True,
    "keywords": ["机密", "secret plan"],
    "inputs_config": {"enable": True, "preset_response": "这个问题我不能回答。"},
    "outputs_config": {"enable": True},
}


def test_input_review_answers_with_the_preset_response_without_the_model(client, member, llm):
    app_id, marker = chat_app(client, member, review_config=REVIEW)
    events = debug_chat(client, member, app_id, "告诉我公司的机密")
    assert names(events) == ["ping", "agent_message", "agent_end"]
    assert answer_of(events) == "这个问题我不能回答。"
    assert agent_requests(llm, marker) == []
    assert debug_messages(client, member, app_id)[0]["answer"] == "这个问题我不能回答。"


def test_output_review_masks_keywords_even_split_across_chunks(client, member, llm):
    app_id, marker = chat_app(client, member, review_config={**REVIEW, "inputs_config": {"enable": False, "preset_response": ""}})
    llm.script_chat(marker, ChatReply(text="这是机密，关于the Secret Plan的内容。", chunk_size=1))
    events = debug_chat(client, member, app_id, "说点什么")
    assert answer_of(events) == "这是**，关于the **的内容。"
    assert debug_messages(client, member, app_id)[0]["answer"] == "这是**，关于the **的内容。"


# --- stop, errors, timeouts -------------------------------------------------------------------------


def test_stop_from_a_second_request_ends_the_stream_and_stores_the_partial_answer(app, client, member, llm):
    app_id, marker = chat_app(client, member)
    llm.script_chat(marker, ChatReply(text="word " * 200, chunk_size=5, chunk_delay=0.05))
    stream = open_stream(client, member, app_id, "Tell me a long story")
    first = next(stream)
    task_id = first["data"]["task_id"]
    assert next(stream)["event"] == "agent_message"

    resp = client.post(f"/apps/{app_id}/conversations/tasks/{task_id}/stop", headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "停止应用会话调试成功"}

    rest = list(stream)
    assert rest[-1]["event"] == "stop" and rest[-1]["data"]["task_id"] == task_id
    stored = wait_for(app, lambda: debug_messages(client, member, app_id), "the stopped message", timeout=10)[0]
    assert stored["id"] == first["data"]["message_id"]
    assert stored["answer"].startswith("word") and len(stored["answer"]) < len("word " * 200)


def test_a_stopped_message_is_stored_before_the_stop_event_while_the_model_is_still_slow(app, client, member, llm):
    app_id, marker = chat_app(client, member)
    # The first piece comes at once, the next only after a long pause.
    llm.script_chat(marker, ChatReply(text="first piece and the rest", chunk_size=12, chunk_delay=3))
    stream = open_stream(client, member, app_id, "Tell me a slow story")
    first = next(stream)
    task_id, message_id = first["data"]["task_id"], first["data"]["message_id"]
    assert next(stream)["data"]["answer"] == "first piece "

    client.post(f"/apps/{app_id}/conversations/tasks/{task_id}/stop", headers=member.headers)
    rest = list(stream)

    assert names(rest)[-1] == "stop" and rest[-1]["data"]["message_id"] == message_id
    # No waiting: the model is still in its pause.
    resp = client.post("/ai/suggested-questions", json={"message_id": message_id}, headers=member.headers)
    assert resp.json["code"] == "success", resp.json
    [stored] = debug_messages(client, member, app_id)
    assert stored["id"] == message_id and stored["answer"] == "first piece "
    assert [(step["event"], step["thought"]) for step in stored["agent_thoughts"]] == [("agent_message", "first piece ")]
    with app.app_context():
        assert db.session.get(Message, uuid.UUID(message_id)).status == MessageStatus.STOP


def test_stop_is_refused_for_another_account_and_unknown_tasks(client, member, other_member, llm):
    app_id, marker = chat_app(client, member)
    llm.script_chat(marker, ChatReply(text="x " * 50, chunk_delay=0.02))
    stream = open_stream(client, member, app_id, "hi")
    task_id = next(stream)["data"]["task_id"]
    other_app, _ = chat_app(client, other_member)
    for who, app_ in ((other_member, app_id), (other_member, other_app), (member, str(uuid.uuid4()))):
        resp = client.post(f"/apps/{app_}/conversations/tasks/{task_id}/stop", headers=who.headers)
        assert resp.json["code"] == "not_found", resp.json
    resp = client.post(f"/apps/{app_id}/conversations/tasks/{uuid.uuid4()}/stop", headers=member.headers)
    assert resp.json["code"] == "not_found"
    assert list(stream)[-1]["event"] == "agent_end"


def test_model_error_ends_with_an_error_event_and_a_stored_failed_message(app, client, member, llm):
    app_id, marker = chat_app(client, member)
    llm.script_chat(marker, ChatReply(status=500, error_message="upstream exploded"))
    events = debug_chat(client, member, app_id, "hi")
    assert names(events) == ["ping", "error"]
    assert "upstream exploded" in events[-1]["data"]["observation"]
    stored = debug_messages(client, member, app_id)[0]
    assert stored["id"] == events[0]["data"]["message_id"] and stored["answer"] == ""


def test_a_broken_model_stream_is_an_error_and_keeps_the_partial_answer(client, member, llm):
    app_id, marker = chat_app(client, member)
    llm.script_chat(marker, ChatReply(text="partial answer that breaks", chunk_size=4, fail_after_chunks=3))
    events = debug_chat(client, member, app_id, "hi")
    assert events[-1]["event"] == "error"
    assert debug_messages(client, member, app_id)[0]["answer"] == answer_of(events) != ""


@pytest.fixture(scope="module")
def impatient_app(tmp_path_factory, fake_github, fake_llm):
    """An embedded app whose runs may take one second."""
    settings = make_settings(
        tmp_path_factory.mktemp("impatient"),
        agent=AgentSettings(_env_file=None, agent_timeout=1.0, agent_ping_interval=0.3),
        **_common_overrides(fake_github, fake_llm),
    )
    return create_app(settings)


def test_a_run_past_its_timeout_ends_with_a_timeout_event(impatient_app, llm):
    client = impatient_app.test_client()
    member = create_member(impatient_app, client)
    app_id, marker = chat_app(client, member)
    llm.script_chat(marker, ChatReply(text="too late", delay=4))
    events = debug_chat(client, member, app_id, "hi")
    assert names(events)[0] == "ping" and names(events)[-1] == "timeout"
    # The quiet wait sent keep-alive pings.
    assert names(events).count("ping") >= 2


# --- memory ---------------------------------------------------------------------------------------


def test_short_term_memory_keeps_the_last_dialog_rounds(client, member, llm):
    app_id, marker = chat_app(client, member, dialog_round=2)
    for n in range(1, 5):
        llm.script_chat(marker, f"answer {n}")
        debug_chat(client, member, app_id, f"question {n}")
    last = agent_requests(llm, marker)[-1]["messages"]
    assert [(m["role"], m["content"]) for m in last[1:]] == [
        ("user", "question 2"), ("assistant", "answer 2"),
        ("user", "question 3"), ("assistant", "answer 3"),
        ("user", "question 4"),
    ]


def test_dialog_round_zero_sends_no_history(client, member, llm):
    app_id, marker = chat_app(client, member, dialog_round=0)
    debug_chat(client, member, app_id, "one")
    debug_chat(client, member, app_id, "two")
    assert len(agent_requests(llm, marker)[-1]["messages"]) == 2


def test_long_term_memory_is_summarized_and_recalled(app, client, member, llm):
    app_id, marker = chat_app(client, member, long_term_memory={"enable": True})
    token = uuid.uuid4().hex[:8]
    llm.script_chat(lambda body: "Progressively summarize" in json.dumps(body, ensure_ascii=False) and token in json.dumps(body, ensure_ascii=False), f"The human is called Mu {token}.")

    events = debug_chat(client, member, app_id, f"I am Mu {token}")
    assert names(events)[1] == "long_term_memory_recall" and events[1]["data"]["observation"] == ""

    summary = wait_for(
        app,
        lambda: (s := client.get(f"/apps/{app_id}/summary", headers=member.headers).json["data"]["summary"]) and s,
        "the summary",
        timeout=10,
    )
    assert summary == f"The human is called Mu {token}."
    events = debug_chat(client, member, app_id, "Who am I?")
    assert events[1]["data"]["observation"] == summary
    assert summary in agent_requests(llm, marker)[-1]["messages"][0]["content"]


def test_a_new_conversation_is_named_by_the_model(app, client, member, llm):
    app_id, marker = chat_app(client, member)
    token = uuid.uuid4().hex[:8]
    llm.script_chat(lambda body: "short title" in json.dumps(body) and token in json.dumps(body), "Cats and dogs")
    events = debug_chat(client, member, app_id, f"Tell me about cats {token}")
    conversation_id = events[0]["data"]["conversation_id"]
    name = wait_for(
        app,
        lambda: (n := client.get(f"/conversations/{conversation_id}/name", headers=member.headers).json["data"]["name"])
        != "New Conversation" and n,
        "the conversation name",
        timeout=10,
    )
    assert name == "Cats and dogs"


# --- images and validation --------------------------------------------------------------------------

IMAGE = "https://cdn.example.com/cat.png"


def test_images_reach_models_with_image_input_only(client, member, llm):
    app_id, marker = chat_app(client, member)
    debug_chat(client, member, app_id, "What is this?", image_urls=[IMAGE])
    content = agent_requests(llm, marker)[-1]["messages"][-1]["content"]
    assert content == [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": IMAGE}}]

    app_id, marker = chat_app(client, member, model_config={"provider": "deepseek", "model": "deepseek-chat", "parameters": {}})
    debug_chat(client, member, app_id, "What is this?", image_urls=[IMAGE])
    assert agent_requests(llm, marker)[-1]["messages"][-1]["content"] == "What is this?"


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "query"),
        ({"query": "   "}, "query"),
        ({"query": 12}, "query"),
        ({"query": "hi", "image_urls": [IMAGE] * 6}, "image_urls"),
        ({"query": "hi", "image_urls": ["ftp://x/y.png"]}, "image_urls"),
    ],
)
def test_bad_requests_are_validate_errors_naming_the_field(client, member, body, field):
    app_id, _ = chat_app(client, member)
    resp = client.post(f"/apps/{app_id}/conversations", json=body, headers=member.headers)
    assert resp.status_code == 400 and resp.json["code"] == "validate_error"
    assert resp.json["message"].startswith(field), resp.json


def test_another_accounts_app_cannot_be_debugged(client, member, other_member):
    app_id, _ = chat_app(client, member)
    resp = client.post(f"/apps/{app_id}/conversations", json={"query": "hi"}, headers=other_member.headers)
    assert resp.json["code"] == "not_found"


def test_a_client_that_goes_away_does_not_lose_the_message(app, client, member, llm):
    app_id, marker = chat_app(client, member)
    llm.script_chat(marker, ChatReply(text="still stored " * 5, chunk_delay=0.02))
    stream = open_stream(client, member, app_id, "hi")
    first = next(stream)
    stream.resp.close()
    stored = wait_for(app, lambda: debug_messages(client, member, app_id), "the message", timeout=10)[0]
    assert stored["id"] == first["data"]["message_id"] and stored["answer"] == "still stored " * 5


def test_deleting_the_app_takes_its_conversations_along(client, member, llm):
    app_id, _ = chat_app(client, member)
    conversation_id = debug_chat(client, member, app_id, "hi")[0]["data"]["conversation_id"]
    resp = client.post(f"/apps/{app_id}/delete", headers=member.headers)
    assert resp.json["code"] == "success", resp.json
    for path in (f"/conversations/{conversation_id}/messages", f"/conversations/{conversation_id}/name"):
        assert client.get(path, headers=member.headers).json["code"] == "not_found"


def test_text_before_native_tool_calls_is_a_step_of_its_own(client, member, llm):
    app_id, marker = chat_app(client, member, tools=[TIME_TOOL])
    llm.script_chat(marker, ChatReply(text="Let me check. ", tool_calls=[ToolCall("current_time", {})]), "Noon.")
    events = debug_chat(client, member, app_id, "time?")
    assert answer_of(events) == "Let me check. Noon." and events[-1]["event"] == "agent_end"
    stored = debug_messages(client, member, app_id)[0]
    assert [t["event"] for t in stored["agent_thoughts"]] == ["agent_message", "agent_thought", "agent_action", "agent_message"]
    assert len({t["id"] for t in stored["agent_thoughts"]}) == 4


# --- what a turn costs ----------------------------------------------------------------------------


def turn_statements(app, client, member, app_id: str) -> int:
    """SQL statements of one debug turn: its request's and its run's (storing the message, naming
    a new conversation), none of other threads' (periodic tasks, other runs)."""
    with app.app_context():
        engine = db.engine
    threads = []

    def record(*_):
        threads.append(threading.current_thread().name)

    sqlalchemy.event.listen(engine, "before_cursor_execute", record)
    try:
        events = debug_chat(client, member, app_id, "hi")
        run = f"run-{events[0]['data']['task_id']}"
        wait_for(app, lambda: all(thread.name != run for thread in threading.enumerate()), "the run's end", timeout=10)
    finally:
        sqlalchemy.event.remove(engine, "before_cursor_execute", record)
    return sum(name in (threading.current_thread().name, run) for name in threads)


def test_a_turn_costs_few_statements(app, client, member):
    """A guard against statements creeping into the hot path (test/benchmark/agent_chat.py counts
    them too). A conversation's first turn: the account, the app with its configuration, the
    new conversation and the app's pointer to it; the run stores the message, its step and its
    rollup (one statement on PostgreSQL, two on SQLite) and names the conversation. A following
    turn reads the history instead and names nothing."""
    app_id, _ = chat_app(client, member)
    # As a process started on a migrated database has (the services app is migrated after it starts).
    app.extensions["injector"].get(ResourceQuotas).load()
    rollup = 2 if app.extensions["injector"].get(Settings).uses_sqlite else 1
    assert turn_statements(app, client, member, app_id) == 7 + rollup
    assert turn_statements(app, client, member, app_id) == 5 + rollup
