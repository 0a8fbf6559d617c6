"""The chat center (port 8020) through HTTP: chat turns on the agent runtime against the fake
model, sessions mapped to conversations, saved context reaching the model, streams, exports
(the PDF rendered to an image) and ownership."""

import io
import json
import threading
import uuid

import pypdfium2
import pytest

from test.api.apps import list_apps, publish
from test.api.chat import chat_app, read_events
from test.conftest import create_member
from test.fakes.openai_server import ChatReply, message_text

from .client import AIStackClient, assert_error, data_of, issue_token
from .reminders import create as create_reminder
from .reminders import make_due, sweep

DEFAULT_APP_NAME = "AI Stack 对话"
MODEL_FAILURE = ChatReply(status=500, error_message="model exploded")


def _caller(app, client, via: str = "prefix") -> AIStackClient:
    member = create_member(app, client, name="Chat")
    stack = AIStackClient(client, issue_token(client, member.email, member.password), via)
    stack.member = member
    return stack


@pytest.fixture
def chat(app, client) -> AIStackClient:
    """A signed-in caller on the main server's prefix (the port is covered by its own tests)."""
    return _caller(app, client)


@pytest.fixture
def other_chat(app, client) -> AIStackClient:
    return _caller(app, client)


def _sid() -> str:
    return f"s-{uuid.uuid4().hex[:12]}"


def send(stack: AIStackClient, message: str, status: int = 200, **context):
    resp = stack.post("chat", "/api/chat/message", json={"message": message, "context": context})
    return data_of(resp, status)


def system_prompt(body: dict) -> str:
    return "\n".join(message_text(m["content"]) for m in body["messages"] if m["role"] == "system")


def turn_request(llm, text: str) -> dict:
    """The agent's model request of the turn that asked `text` (not the conversation's naming)."""
    (body,) = [
        body
        for body in llm.chat_requests(text)
        if body["messages"][-1]["content"] == text and "<app_instructions>" in system_prompt(body)
    ]
    return body


# --- chat turns ----------------------------------------------------------------------------------


def test_a_message_answers_on_the_default_app_and_maps_the_session_to_a_conversation(chat, client, llm):
    sid, text = _sid(), f"你好，请帮我分析这个问题 {uuid.uuid4().hex[:8]}"
    data = send(chat, text, session_id=sid, user_id="user_001")
    assert data["response"] == f"Echo: {text}" and data["timestamp"].endswith("Z")
    context = data["context"]
    assert context["session_id"] == sid and context["user_id"] == "user_001"
    uuid.UUID(context["message_id"]), uuid.UUID(context["conversation_id"])
    # The default app is one of the account's, published, in the console.
    apps = {a["id"]: a for a in list_apps(client, chat.member)}
    assert apps[context["app_id"]]["name"] == DEFAULT_APP_NAME
    assert apps[context["app_id"]]["status"] == "published"
    sessions = data_of(chat.get("chat", "/api/chat/sessions"))
    assert [(s["session_id"], s["conversation_id"], s["user_id"]) for s in sessions] == [
        (sid, context["conversation_id"], "user_001")
    ]


def test_the_same_session_continues_its_conversation_with_its_history(chat, llm):
    sid, first, second = _sid(), f"first-{uuid.uuid4().hex}", f"second-{uuid.uuid4().hex}"
    one = send(chat, first, session_id=sid)["context"]
    two = send(chat, second, session_id=sid)["context"]
    assert two["conversation_id"] == one["conversation_id"] and two["message_id"] != one["message_id"]
    request = turn_request(llm, second)
    texts = [message_text(m["content"]) for m in request["messages"]]
    assert first in texts and f"Echo: {first}" in texts


def test_a_message_without_a_session_starts_a_new_one(chat, llm):
    one = send(chat, "hello")["context"]
    two = send(chat, "hello")["context"]
    assert one["session_id"].startswith("session_") and one["session_id"] != two["session_id"]
    assert one["conversation_id"] != two["conversation_id"] and one["app_id"] == two["app_id"]


def test_a_named_app_of_the_caller_answers_and_other_accounts_apps_are_not_found(chat, other_chat, client, llm):
    app_id, marker = chat_app(client, chat.member)
    publish(client, chat.member, app_id)
    llm.script_chat(marker, "scripted answer of my app")
    data = send(chat, "hi", session_id=_sid(), app_id=app_id)
    assert data["response"] == "scripted answer of my app" and data["context"]["app_id"] == app_id

    other_app, _ = chat_app(client, other_chat.member)
    publish(client, other_chat.member, other_app)
    resp = chat.post("chat", "/api/chat/message", json={"message": "hi", "context": {"app_id": other_app}})
    assert_error(resp, 404, "RESOURCE_NOT_FOUND")
    resp = chat.post("chat", "/api/chat/message", json={"message": "hi", "context": {"app_id": str(uuid.uuid4())}})
    assert_error(resp, 404, "RESOURCE_NOT_FOUND")


def test_an_unpublished_app_is_refused(chat, client, llm):
    app_id, _ = chat_app(client, chat.member)
    resp = chat.post("chat", "/api/chat/message", json={"message": "hi", "context": {"app_id": app_id}})
    assert_error(resp, 400, "INVALID_INPUT", "context.app_id")


def test_the_default_app_is_made_once_however_many_first_messages_race(app, chat, llm):
    results: list = []

    def first_message():
        stack = AIStackClient(app.test_client(), chat.token)
        resp = stack.post("chat", "/api/chat/message", json={"message": "race", "context": {"session_id": _sid()}})
        results.append(resp)

    threads = [threading.Thread(target=first_message) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    app_ids = {data_of(resp)["context"]["app_id"] for resp in results}
    assert len(app_ids) == 1
    default_apps = [a for a in list_apps(chat.client, chat.member) if a["name"] == DEFAULT_APP_NAME]
    assert [a["id"] for a in default_apps] == list(app_ids)


def test_a_failing_model_is_service_unavailable(chat, llm):
    text = f"fail-{uuid.uuid4().hex}"
    llm.script_chat(text, MODEL_FAILURE)
    resp = chat.post("chat", "/api/chat/message", json={"message": text, "context": {"session_id": _sid()}})
    error = assert_error(resp, 503, "SERVICE_UNAVAILABLE")
    uuid.UUID(error["details"]["message_id"])


def test_messages_are_validated(chat):
    resp = chat.post("chat", "/api/chat/message", json={"context": {}})
    assert_error(resp, 400, "INVALID_INPUT", "message")
    resp = chat.post("chat", "/api/chat/message", json={"message": "hi", "context": {"session_id": "bad id/with slash"}})
    assert_error(resp, 400, "INVALID_INPUT", "context.session_id")
    resp = chat.post("chat", "/api/chat/message", json={"message": "hi", "context": {"app_id": "nope"}})
    assert_error(resp, 400, "INVALID_INPUT", "context.app_id")


# --- streaming -----------------------------------------------------------------------------------


def test_the_stream_sends_deltas_then_done_with_the_context(chat, llm):
    sid, text = _sid(), f"生成一篇长文章 {uuid.uuid4().hex[:8]}"
    resp = chat.post("chat", "/api/chat/stream", json={"message": text, "stream": True, "context": {"session_id": sid}})
    events = read_events(resp)
    assert events[0]["event"] == "ping"
    deltas = [e["data"]["content"] for e in events if e["event"] == "delta"]
    assert len(deltas) > 1 and "".join(deltas) == f"Echo: {text}"
    done = events[-1]
    assert done["event"] == "done" and done["data"]["response"] == f"Echo: {text}"
    assert done["data"]["context"]["session_id"] == sid
    # The streamed turn is the session's: the next message continues its conversation.
    assert send(chat, "again", session_id=sid)["context"]["conversation_id"] == done["data"]["context"]["conversation_id"]


def test_a_failing_stream_ends_with_an_error_event_and_bad_input_is_an_envelope(chat, llm):
    text = f"fail-{uuid.uuid4().hex}"
    llm.script_chat(text, MODEL_FAILURE)
    events = read_events(chat.post("chat", "/api/chat/stream", json={"message": text}))
    assert events[-1]["event"] == "error" and events[-1]["data"]["code"] == "SERVICE_UNAVAILABLE"
    resp = chat.post("chat", "/api/chat/stream", json={"message": ""})
    assert resp.mimetype == "application/json"
    assert_error(resp, 400, "INVALID_INPUT", "message")


# --- context -------------------------------------------------------------------------------------


def test_context_is_saved_merged_replaced_and_read(chat):
    sid = _sid()
    saved = data_of(chat.post("chat", "/api/context/save", json={"session_id": sid, "context": {"topic": "机器学习", "previous_queries": []}}))
    assert saved["session_id"] == sid and saved["context"] == {"topic": "机器学习", "previous_queries": []}
    chat.post("chat", "/api/context/save", json={"session_id": sid, "context": {"level": 2, "previous_queries": None}})
    got = data_of(chat.get("chat", f"/api/context/{sid}"))
    assert got["context"] == {"topic": "机器学习", "level": 2} and got["updated_at"].endswith("Z")
    chat.post("chat", "/api/context/save", json={"session_id": sid, "context": {"only": True}, "mode": "replace"})
    assert data_of(chat.get("chat", f"/api/context/{sid}"))["context"] == {"only": True}


def test_context_is_validated_and_limited(chat):
    resp = chat.post("chat", "/api/context/save", json={"session_id": _sid(), "context": "text"})
    assert_error(resp, 400, "INVALID_INPUT", "context")
    resp = chat.post("chat", "/api/context/save", json={"context": {}})
    assert_error(resp, 400, "INVALID_INPUT", "session_id")
    resp = chat.post("chat", "/api/context/save", json={"session_id": _sid(), "context": {"big": "x" * 20000}})
    assert_error(resp, 400, "INVALID_INPUT", "context")
    assert_error(chat.get("chat", f"/api/context/{_sid()}"), 404, "RESOURCE_NOT_FOUND")


def test_the_saved_context_reaches_the_model_in_that_session(chat, llm):
    sid, topic, text = _sid(), f"主题-{uuid.uuid4().hex[:8]}", f"question-{uuid.uuid4().hex}"
    data_of(chat.post("chat", "/api/context/save", json={"session_id": sid, "context": {"topic": topic}}))
    send(chat, text, session_id=sid, language="zh")
    prompt = system_prompt(turn_request(llm, text))
    assert topic in prompt and '"language": "zh"' in prompt
    # Keys of a message's context besides session_id, user_id and app_id are saved too.
    assert data_of(chat.get("chat", f"/api/context/{sid}"))["context"] == {"topic": topic, "language": "zh"}
    other = f"question-{uuid.uuid4().hex}"
    send(chat, other, session_id=_sid())
    assert topic not in system_prompt(turn_request(llm, other))


# --- sessions and ownership ----------------------------------------------------------------------


def test_sessions_are_listed_and_deleted_and_other_accounts_see_none(chat, other_chat):
    first, second = _sid(), _sid()
    for sid in (first, second):
        data_of(chat.post("chat", "/api/context/save", json={"session_id": sid, "context": {"n": sid}}))
    resp = chat.get("chat", "/api/chat/sessions", query_string={"page_size": 1, "sort": "created_at", "order": "asc"})
    assert [s["session_id"] for s in data_of(resp)] == [first]
    assert resp.json["pagination"] == {"page": 1, "page_size": 1, "total_items": 2, "total_pages": 2}

    assert data_of(other_chat.get("chat", "/api/chat/sessions")) == []
    assert_error(other_chat.get("chat", f"/api/context/{first}"), 404, "RESOURCE_NOT_FOUND")
    assert_error(other_chat.delete("chat", f"/api/chat/sessions/{first}"), 404, "RESOURCE_NOT_FOUND")
    resp = other_chat.get("chat", "/api/chat/export", query_string={"session_id": first, "format": "json"})
    assert_error(resp, 404, "RESOURCE_NOT_FOUND")
    # The same session id is another account's own session.
    data_of(other_chat.post("chat", "/api/context/save", json={"session_id": first, "context": {"mine": 1}}))
    assert data_of(chat.get("chat", f"/api/context/{first}"))["context"] == {"n": first}

    assert data_of(chat.delete("chat", f"/api/chat/sessions/{first}"))["session_id"] == first
    assert_error(chat.get("chat", f"/api/context/{first}"), 404, "RESOURCE_NOT_FOUND")
    assert [s["session_id"] for s in data_of(chat.get("chat", "/api/chat/sessions"))] == [second]


# --- export --------------------------------------------------------------------------------------

CHINESE = "你好，请介绍一下机器学习"


def _exported(chat, sid: str, fmt: str, mimetype: str, extension: str):
    resp = chat.get("chat", "/api/chat/export", query_string={"session_id": sid, "format": fmt})
    assert resp.status_code == 200, resp.data[:300]
    assert resp.mimetype == mimetype
    assert resp.headers["Content-Disposition"] == f'attachment; filename="chat-{sid}.{extension}"'
    return resp


def test_a_session_exports_as_json_markdown_and_escaped_html(chat, llm):
    sid = _sid()
    text = f"{CHINESE} <script>alert(1)</script> & 更多"
    send(chat, text, session_id=sid, user_id="user_001")
    document = json.loads(_exported(chat, sid, "json", "application/json", "json").data)
    assert document["session"]["session_id"] == sid and document["session"]["user_id"] == "user_001"
    assert [(m["role"], m["content"]) for m in document["messages"]] == [("user", text), ("assistant", f"Echo: {text}")]
    assert all(m["timestamp"].endswith("Z") for m in document["messages"])

    markdown = _exported(chat, sid, "markdown", "text/markdown", "md").get_data(as_text=True)
    assert text in markdown and "### 用户" in markdown and "### 助手" in markdown

    page = _exported(chat, sid, "html", "text/html", "html").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 更多" in page and CHINESE in page


def test_a_session_exports_as_a_pdf_that_renders_chinese(chat, llm):
    sid = _sid()
    send(chat, CHINESE, session_id=sid)
    pdf = pypdfium2.PdfDocument(io.BytesIO(_exported(chat, sid, "pdf", "application/pdf", "pdf").data))
    page = pdf[0]
    text_page = page.get_textpage()
    text = text_page.get_text_range()
    assert CHINESE in text and f"Echo: {CHINESE}" in text
    # Ink where the Chinese characters are: the font is embedded and draws them.
    scale = 2
    image = page.render(scale=scale).to_pil().convert("L")
    height = page.get_height()
    start = text.index(CHINESE)
    for index in range(start, start + len(CHINESE)):
        left, bottom, right, top = text_page.get_charbox(index)
        assert right > left and top > bottom
        box = (int(left * scale), int((height - top) * scale), int(right * scale) + 1, int((height - bottom) * scale) + 1)
        dark = sum(1 for value in image.crop(box).get_flattened_data() if value < 128)
        assert dark > 5, (CHINESE[index - start], dark)


def test_export_refuses_unknown_sessions_and_formats(chat):
    assert_error(chat.get("chat", "/api/chat/export", query_string={"session_id": _sid()}), 404, "RESOURCE_NOT_FOUND")
    resp = chat.get("chat", "/api/chat/export", query_string={"session_id": _sid(), "format": "docx"})
    assert_error(resp, 400, "INVALID_INPUT", "format")
    assert_error(chat.get("chat", "/api/chat/export"), 400, "INVALID_INPUT", "session_id")


def test_an_empty_session_exports_no_messages(chat):
    sid = _sid()
    data_of(chat.post("chat", "/api/context/save", json={"session_id": sid, "context": {}}))
    document = json.loads(_exported(chat, sid, "json", "application/json", "json").data)
    assert document["messages"] == [] and document["session"]["conversation_id"] is None


# --- both addresses ------------------------------------------------------------------------------


def test_the_chat_center_is_served_on_its_prefix_and_its_port(aistack, llm):
    sid = _sid()
    data_of(aistack.post("chat", "/api/context/save", json={"session_id": sid, "context": {"topic": "ports"}}))
    assert send(aistack, "ping", session_id=sid)["response"] == "Echo: ping"
    assert data_of(aistack.get("chat", f"/api/context/{sid}"))["context"] == {"topic": "ports"}
    events = read_events(aistack.post("chat", "/api/chat/stream", json={"message": "pong", "context": {"session_id": sid}}))
    assert events[-1]["event"] == "done"
    resp = aistack.get("chat", "/api/chat/export", query_string={"session_id": sid, "format": "markdown"})
    assert resp.status_code == 200 and "Echo: ping" in resp.get_data(as_text=True)
    assert [s["session_id"] for s in data_of(aistack.get("chat", "/api/chat/sessions"))] == [sid]
    assert data_of(aistack.delete("chat", f"/api/chat/sessions/{sid}"))["session_id"] == sid


# --- reminders in replies ------------------------------------------------------------------------


def test_fired_reminders_are_shown_once_by_the_sessions_next_reply(app, chat, llm):
    sid, elsewhere = _sid(), _sid()
    own = create_reminder(chat, title="交周报", content="周五下班前", session_id=sid)
    anywhere = create_reminder(chat, title="喝水", content="")
    other_session = create_reminder(chat, title="开会", content="", session_id=elsewhere)
    pending = create_reminder(chat, title="还没到")
    make_due(app, [own["reminder_id"], anywhere["reminder_id"], other_session["reminder_id"]])
    sweep(app)

    text = f"今天有什么安排 {uuid.uuid4().hex[:8]}"
    reply = send(chat, text, session_id=sid)
    # Both fell due at the same moment: their order is not defined.
    notice, _, answer = reply["response"].partition("\n\n")
    assert set(notice.split("\n")) == {"⏰ 提醒：交周报——周五下班前", "⏰ 提醒：喝水"} and answer == f"Echo: {text}"
    assert {r["title"] for r in reply["context"]["reminders"]} == {"交周报", "喝水"}
    assert "交周报" in system_prompt(turn_request(llm, text))
    # Each is shown once; the other session's reminder waits for that session, the pending one for its time.
    again = send(chat, "还有吗", session_id=sid)
    assert again["context"]["reminders"] == [] and again["response"] == "Echo: 还有吗"
    events = read_events(chat.post("chat", "/api/chat/stream", json={"message": "嗯", "context": {"session_id": elsewhere}}))
    deltas = [e["data"]["content"] for e in events if e["event"] == "delta"]
    assert deltas[0] == "⏰ 提醒：开会\n\n"
    done = events[-1]["data"]
    assert done["response"] == "⏰ 提醒：开会\n\nEcho: 嗯" and done["context"]["reminders"][0]["title"] == "开会"
    assert data_of(chat.get("chat", f"/api/reminders/{pending['reminder_id']}"))["status"] == "pending"
