"""The AI helpers (llmops-api.md §8.1, §8.2): the streamed prompt rewrite and suggested follow-up questions."""

import logging
import uuid

from config import Settings
from internal.core.agent import prompts
from test.api.chat import chat_app, debug_chat, read_events
from test.fakes.openai_server import ChatReply, conversation_text

# Text only the suggested-questions request carries (the prompt before the conversation).
SUGGESTION_PROMPT_HEAD = prompts.SUGGESTED_QUESTIONS_PROMPT.split("{query}")[0].strip()


def optimize(client, member, prompt, **kwargs):
    return client.post("/ai/optimize-prompt", json={"prompt": prompt}, headers=member.headers, **kwargs)


def suggest(client, member, message_id):
    return client.post("/ai/suggested-questions", json={"message_id": message_id}, headers=member.headers)


def unique_prompt() -> str:
    return f"You are a travel planner (prompt-{uuid.uuid4().hex[:12]})."


def suggestion_request(marker: str):
    """Matches the suggested-questions request about the message whose query carries `marker`."""
    return lambda body: SUGGESTION_PROMPT_HEAD in conversation_text(body) and marker in conversation_text(body)


def debug_message(client, member) -> tuple[str, str]:
    """A message stored by a real debug chat, and the marker its query carries."""
    app_id, marker = chat_app(client, member)
    events = debug_chat(client, member, app_id, f"What can you do? ({marker})")
    assert events[-1]["event"] == "agent_end", events
    return events[0]["data"]["message_id"], marker


# --- 8.1 optimize prompt -----------------------------------------------------------------------


def test_optimize_prompt_streams_the_rewrite_in_chunks_under_both_keys(client, member, llm):
    prompt = unique_prompt()
    rewrite = "# Role\nA seasoned travel planner.\n\n## Skills\n- Plan trips day by day."
    llm.script_chat(prompt, ChatReply(text=rewrite, chunk_size=5))

    resp = optimize(client, member, prompt)

    assert resp.mimetype == "text/event-stream"
    events = read_events(resp)
    assert len(events) > 1 and {e["event"] for e in events} == {"optimize_prompt"}
    for event in events:
        assert set(event["data"]) == {"optimized_prompt", "optimize_prompt"}
        assert event["data"]["optimized_prompt"] == event["data"]["optimize_prompt"]
    assert "".join(e["data"]["optimized_prompt"] for e in events) == rewrite


def test_optimize_prompt_sends_the_users_prompt_after_the_system_prompt(client, member, llm):
    prompt = unique_prompt()
    read_events(optimize(client, member, prompt))

    [body] = llm.chat_requests(prompt)
    assert body["stream"] is True
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][0]["content"] == prompts.OPTIMIZE_PROMPT
    assert body["messages"][1]["content"] == prompt


def test_optimize_prompt_validates_the_prompt(client, member, llm):
    cases = [{}, {"prompt": "   "}, {"prompt": "x" * 2001}, {"prompt": 42}]
    for body in cases:
        resp = client.post("/ai/optimize-prompt", json=body, headers=member.headers)
        assert resp.status_code == 400 and resp.json["code"] == "validate_error", (body, resp.json)
        assert resp.json["message"].startswith("prompt:")
    assert llm.chat_requests() == []


def test_optimize_prompt_accepts_exactly_2000_characters(client, member, llm):
    events = read_events(optimize(client, member, "y" * 2000))
    assert "".join(e["data"]["optimized_prompt"] for e in events) == "Echo: " + "y" * 2000


def test_optimize_prompt_needs_a_login(client):
    resp = client.post("/ai/optimize-prompt", json={"prompt": "hello"})
    assert resp.status_code == 401 and resp.json["code"] == "unauthorized"


def test_optimize_prompt_ends_with_an_error_event_when_the_model_fails(client, member, llm):
    prompt = unique_prompt()
    llm.script_chat(prompt, ChatReply(status=500, error_message="the model is overloaded"))

    events = read_events(optimize(client, member, prompt))

    assert [e["event"] for e in events] == ["error"]
    assert set(events[0]["data"]) == {"message"}
    assert "the model is overloaded" in events[0]["data"]["message"]


def test_optimize_prompt_keeps_the_chunks_sent_before_a_failure(client, member, llm):
    prompt = unique_prompt()
    llm.script_chat(prompt, ChatReply(text="A long rewrite that never finishes.", chunk_size=3, fail_after_chunks=4))

    events = read_events(optimize(client, member, prompt))

    assert events[-1]["event"] == "error" and events[-1]["data"]["message"]
    assert {e["event"] for e in events[:-1]} == {"optimize_prompt"}
    assert "A long rewrite".startswith("".join(e["data"]["optimized_prompt"] for e in events[:-1]))


def test_optimize_prompt_survives_the_client_going_away(client, member, llm, caplog):
    prompt = unique_prompt()
    llm.script_chat(prompt, ChatReply(text="chunk " * 200, chunk_size=6, chunk_delay=0.02))

    with caplog.at_level(logging.WARNING):
        resp = optimize(client, member, prompt, buffered=False)
        assert resp.status_code == 200 and resp.mimetype == "text/event-stream"
        first = next(iter(resp.response))
        resp.close()

    assert b"event: optimize_prompt" in first
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    # The server answers the next request as usual.
    assert read_events(optimize(client, member, "hello"))[-1]["event"] == "optimize_prompt"


# --- 8.2 suggested questions ------------------------------------------------------------------


def test_suggested_questions_parses_the_models_lines_and_keeps_three(client, member, llm):
    message_id, marker = debug_message(client, member)
    reply = '1. "How do I plan a trip?"\n\n2) What is the best season?\n- Can you book hotels?\n4、Anything else?'
    llm.script_chat(suggestion_request(marker), reply)

    resp = suggest(client, member, message_id)

    assert resp.json["code"] == "success", resp.json
    assert resp.json["data"] == ["How do I plan a trip?", "What is the best season?", "Can you book hotels?"]
    [body] = llm.chat_requests(suggestion_request(marker))
    assert not body.get("stream")
    assert f"What can you do? ({marker})" in conversation_text(body)
    assert f"Echo: What can you do? ({marker})" in conversation_text(body)


def test_suggested_questions_may_be_fewer_than_three(client, member, llm):
    message_id, marker = debug_message(client, member)
    llm.script_chat(suggestion_request(marker), "  * Only one question?  \n\n")

    assert suggest(client, member, message_id).json["data"] == ["Only one question?"]


def test_suggested_questions_of_another_accounts_message_is_not_found(client, member, other_member, llm):
    message_id, marker = debug_message(client, other_member)

    resp = suggest(client, member, message_id)

    assert resp.status_code == 404 and resp.json["code"] == "not_found"
    assert llm.chat_requests(suggestion_request(marker)) == []


def test_suggested_questions_of_an_unknown_message_is_not_found(client, member):
    resp = suggest(client, member, str(uuid.uuid4()))
    assert resp.status_code == 404 and resp.json["code"] == "not_found"


def test_suggested_questions_validates_the_message_id(client, member):
    for body in ({}, {"message_id": "not-a-uuid"}, {"message_id": None}):
        resp = client.post("/ai/suggested-questions", json=body, headers=member.headers)
        assert resp.status_code == 400 and resp.json["code"] == "validate_error", resp.json
        assert "message_id" in resp.json["message"]


def test_suggested_questions_reports_a_failing_model_as_fail(client, member, llm):
    message_id, marker = debug_message(client, member)
    llm.script_chat(suggestion_request(marker), ChatReply(status=500, error_message="the model is overloaded"))

    resp = suggest(client, member, message_id)

    assert resp.status_code == 400 and resp.json["code"] == "fail", resp.json
    assert "the model is overloaded" in resp.json["message"]


def test_a_misconfigured_helper_model_is_a_fail_envelope_before_any_stream(app, client, member, llm, monkeypatch):
    agent_settings = app.extensions["injector"].get(Settings).agent
    monkeypatch.setattr(agent_settings, "helper_model", "no-such-model")
    message_id, _ = debug_message(client, member)

    for resp in (optimize(client, member, unique_prompt()), suggest(client, member, message_id)):
        assert resp.status_code == 400 and resp.mimetype == "application/json"
        assert resp.json["code"] == "fail" and "no-such-model" in resp.json["message"], resp.json
    assert llm.chat_requests(SUGGESTION_PROMPT_HEAD) == []
