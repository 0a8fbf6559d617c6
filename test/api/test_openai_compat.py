"""The OpenAI-compatible surface (`/v1/models`, `/v1/chat/completions`), driven by the real `openai`
Python client against the app served over HTTP, and its error bodies through the test client."""

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import openai
import pytest
from werkzeug.serving import make_server

from config.settings import AgentSettings
from internal.server import create_app as create_flask_app
from test.api.apps import assert_updated, create_app, publish, update_draft
from test.api.chat import chat_app
from test.api.test_api_keys import create_key, list_keys
from test.conftest import _common_overrides, create_member, make_settings
from test.fakes.openai_server import ChatReply


@contextmanager
def served(flask_app) -> Iterator[str]:
    """The app served on a local port, as a deployment serves it (threaded: streams run beside
    requests); yields the `/v1` base URL."""
    server = make_server("127.0.0.1", 0, flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture(scope="module")
def base_url(app) -> Iterator[str]:
    with served(app) as url:
        yield url


def api_key(client, member) -> str:
    create_key(client, member)
    return list_keys(client, member)["list"][0]["api_key"]


def sdk(base_url, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=30)


def assert_openai_error(resp, status: int, code: str, param: str | None = None) -> dict:
    """An OpenAI error body (`{"error": {message, type, param, code}}`), not the envelope."""
    assert resp.status_code == status, (resp.status_code, resp.data)
    assert resp.mimetype == "application/json"
    assert set(resp.json) == {"error"}, resp.json
    error = resp.json["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"], error
    assert error["code"] == code and error["param"] == param, error
    return error


# --- GET /v1/models -------------------------------------------------------------------------------


def test_models_are_the_key_owners_published_apps(client, member, other_member, base_url):
    published, _ = chat_app(client, member)
    publish(client, member, published)
    create_app(client, member, name="草稿应用")  # never published
    withdrawn = create_app(client, member, name="撤回的应用")
    publish(client, member, withdrawn)
    assert client.post(f"/apps/{withdrawn}/cancel-publish", headers=member.headers).json["code"] == "success"
    foreign = create_app(client, other_member)
    publish(client, other_member, foreign)

    models = sdk(base_url, api_key(client, member)).models.list()
    assert [model.id for model in models.data] == [published]
    model = models.data[0]
    assert model.object == "model" and model.owned_by == "llmops" and model.created > 0
    assert model.model_extra["name"].startswith("chat-")

    assert [model.id for model in sdk(base_url, api_key(client, other_member)).models.list().data] == [foreign]


def test_models_refuse_a_missing_or_wrong_key_with_an_openai_error(client, member, base_url):
    error = assert_openai_error(client.get("/v1/models"), 401, "unauthorized")
    assert error["type"] == "authentication_error"
    # An access token is not an API key.
    assert_openai_error(client.get("/v1/models", headers=member.headers), 401, "unauthorized")
    with pytest.raises(openai.AuthenticationError) as caught:
        sdk(base_url, "llmops-v1/" + "x" * 48).models.list()
    assert caught.value.status_code == 401 and caught.value.code == "unauthorized"


# --- POST /v1/chat/completions ----------------------------------------------------------------------


def published_chat_app(client, member) -> tuple[str, str]:
    app_id, marker = chat_app(client, member)
    publish(client, member, app_id)
    return app_id, marker


def agent_requests(llm, marker) -> list[dict]:
    return llm.chat_requests(lambda body: marker in json.dumps(body["messages"][0], ensure_ascii=False))


def test_a_completion_is_the_published_apps_answer(client, member, llm, base_url):
    app_id, marker = published_chat_app(client, member)
    assert_updated(update_draft(client, member, app_id, {"preset_prompt": "draft only prompt"}))
    llm.script_chat(marker, ChatReply(text="LLM是大语言模型。", usage=(30, 6)))

    completion = sdk(base_url, api_key(client, member)).chat.completions.create(
        model=app_id, messages=[{"role": "user", "content": "什么是LLM?"}]
    )

    assert completion.object == "chat.completion" and completion.model == app_id
    assert completion.choices[0].message.content == "LLM是大语言模型。"
    assert completion.choices[0].message.role == "assistant" and completion.choices[0].finish_reason == "stop"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens, completion.usage.total_tokens) == (30, 6, 36)
    extra = completion.model_extra
    assert uuid.UUID(extra["conversation_id"]) and uuid.UUID(extra["end_user_id"])
    # The published config answered, not the draft.
    (request,) = agent_requests(llm, marker)
    assert "draft only prompt" not in json.dumps(request["messages"], ensure_ascii=False)
    assert request["messages"][-1] == {"role": "user", "content": "什么是LLM?"}


def test_streamed_chunks_carry_the_answer_and_the_ids(client, member, llm, base_url):
    app_id, marker = published_chat_app(client, member)
    llm.script_chat(marker, ChatReply(text="Streaming answer in pieces.", chunk_size=4, chunk_delay=0.01, usage=(20, 5)))

    chunks = list(
        sdk(base_url, api_key(client, member)).chat.completions.create(
            model=app_id,
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )

    assert all(chunk.object == "chat.completion.chunk" and chunk.model == app_id for chunk in chunks)
    assert len({chunk.id for chunk in chunks}) == 1
    ids = {(chunk.model_extra["conversation_id"], chunk.model_extra["end_user_id"]) for chunk in chunks}
    assert len(ids) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    content = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert content == "Streaming answer in pieces."
    finished = [chunk.choices[0].finish_reason for chunk in chunks if chunk.choices and chunk.choices[0].finish_reason]
    assert finished == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == 25


def test_without_a_conversation_the_earlier_messages_are_the_history(client, member, llm, base_url):
    app_id, marker = published_chat_app(client, member)
    llm.script_chat(marker, "第三个回答")
    messages = [
        {"role": "system", "content": "客户端的系统提示"},
        {"role": "user", "content": "第一个问题"},
        {"role": "assistant", "content": "第一个回答"},
        {"role": "user", "content": [{"type": "text", "text": "第二个问题"}]},
        {"role": "assistant", "content": "第二个回答"},
        {"role": "user", "content": "第三个问题"},
    ]
    completion = sdk(base_url, api_key(client, member)).chat.completions.create(model=app_id, messages=messages)
    assert completion.choices[0].message.content == "第三个回答"

    (request,) = agent_requests(llm, marker)
    sent = [(m["role"], m["content"]) for m in request["messages"][1:]]
    assert sent == [
        ("user", "第一个问题"), ("assistant", "第一个回答"), ("user", "第二个问题"), ("assistant", "第二个回答"),
        ("user", "第三个问题"),
    ]
    # The app's preset prompt rules; the client's system message is not sent.
    assert "客户端的系统提示" not in json.dumps(request["messages"], ensure_ascii=False)


def test_a_named_conversation_continues_with_its_stored_history(client, member, llm, base_url):
    app_id, marker = published_chat_app(client, member)
    openai_client = sdk(base_url, api_key(client, member))
    llm.script_chat(marker, "第一个回答")
    first = openai_client.chat.completions.create(model=app_id, messages=[{"role": "user", "content": "第一个问题"}])
    conversation_id, end_user_id = first.model_extra["conversation_id"], first.model_extra["end_user_id"]

    llm.script_chat(marker, "第二个回答", "第三个回答")
    messages = [{"role": "user", "content": "被忽略的历史"}, {"role": "assistant", "content": "也被忽略"}, {"role": "user", "content": "第二个问题"}]
    second = openai_client.chat.completions.create(
        model=app_id, messages=messages, extra_body={"conversation_id": conversation_id, "end_user_id": end_user_id}
    )
    assert second.model_extra == {**second.model_extra, "conversation_id": conversation_id, "end_user_id": end_user_id}
    # The conversation alone names its end user.
    third = openai_client.chat.completions.create(
        model=app_id, messages=[{"role": "user", "content": "第三个问题"}], extra_body={"conversation_id": conversation_id}
    )
    assert third.model_extra["end_user_id"] == end_user_id and third.choices[0].message.content == "第三个回答"

    _, second_request, third_request = agent_requests(llm, marker)
    sent = [m["content"] for m in second_request["messages"][1:]]
    assert sent == ["第一个问题", "第一个回答", "第二个问题"]
    assert [m["content"] for m in third_request["messages"][1:]][-3:] == ["第二个问题", "第二个回答", "第三个问题"]


def test_an_end_user_keeps_its_identity_across_new_conversations(client, member, llm, base_url):
    app_id, _ = published_chat_app(client, member)
    openai_client = sdk(base_url, api_key(client, member))
    first = openai_client.chat.completions.create(model=app_id, messages=[{"role": "user", "content": "你好"}])
    end_user_id = first.model_extra["end_user_id"]
    second = openai_client.chat.completions.create(
        model=app_id, messages=[{"role": "user", "content": "再来"}], extra_body={"end_user_id": end_user_id}
    )
    assert second.model_extra["end_user_id"] == end_user_id
    assert second.model_extra["conversation_id"] != first.model_extra["conversation_id"]


def test_models_that_are_not_the_key_owners_published_apps_are_refused(client, member, other_member, llm, base_url):
    openai_client = sdk(base_url, api_key(client, member))
    foreign, _ = published_chat_app(client, other_member)
    for model in (foreign, str(uuid.uuid4())):
        with pytest.raises(openai.NotFoundError) as caught:
            openai_client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
        assert caught.value.code == "not_found"
    draft = create_app(client, member)
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(model=draft, messages=[{"role": "user", "content": "hi"}])
    assert caught.value.code == "fail"


def test_foreign_or_unknown_end_users_and_conversations_are_refused(client, member, llm, base_url):
    app_id, _ = published_chat_app(client, member)
    other_app, _ = published_chat_app(client, member)
    openai_client = sdk(base_url, api_key(client, member))
    elsewhere = openai_client.chat.completions.create(model=other_app, messages=[{"role": "user", "content": "hi"}])
    mine = openai_client.chat.completions.create(model=app_id, messages=[{"role": "user", "content": "hi"}])
    foreign_end_user, foreign_conversation = elsewhere.model_extra["end_user_id"], elsewhere.model_extra["conversation_id"]
    # A WebApp conversation is the account's, not an open-API end user's.
    member_conversation = debug_conversation_id(client, member, app_id)
    for extra in (
        {"end_user_id": foreign_end_user},
        {"end_user_id": str(uuid.uuid4())},
        {"conversation_id": foreign_conversation},
        {"conversation_id": member_conversation},
        {"conversation_id": foreign_conversation, "end_user_id": mine.model_extra["end_user_id"]},
        {"conversation_id": mine.model_extra["conversation_id"], "end_user_id": foreign_end_user},
    ):
        with pytest.raises(openai.NotFoundError):
            openai_client.chat.completions.create(
                model=app_id, messages=[{"role": "user", "content": "hi"}], extra_body=extra
            )


def debug_conversation_id(client, member, app_id) -> str:
    resp = client.post(f"/apps/{app_id}/conversations", json={"query": "hi"}, headers=member.headers)
    first_block = resp.get_data(as_text=True).split("\n\n")[0]
    return json.loads(first_block.split("data: ", 1)[1])["conversation_id"]


@pytest.mark.parametrize(
    "body, param",
    [
        ({"messages": [{"role": "user", "content": "hi"}]}, "model"),
        ({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}, "model"),
        ({"messages": []}, "messages"),
        ({}, "messages"),
        ({"messages": [{"role": "assistant", "content": "hi"}]}, "messages"),
        ({"messages": [{"role": "user", "content": "   "}]}, "messages"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        ({"messages": [{"role": "user", "content": "hi"}], "stream": "yes"}, "stream"),
        ({"messages": [{"role": "user", "content": "hi"}], "conversation_id": "nope"}, "conversation_id"),
        ({"messages": [{"role": "user", "content": "hi"}], "end_user_id": 7}, "end_user_id"),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x.cn/a.png"}}] * 6 + [{"type": "text", "text": "hi"}]}]},
            "messages",
        ),
    ],
)
def test_invalid_requests_are_openai_errors_naming_the_field(client, member, body, param):
    app_id, _ = published_chat_app(client, member)
    key = api_key(client, member)
    body = {"model": app_id, **body} if "model" not in body and param != "model" else body
    resp = client.post("/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"})
    error = assert_openai_error(resp, 400, "validate_error", param)
    assert error["type"] == "invalid_request_error" and error["message"].startswith(f"{param}: ")


def test_a_failing_model_is_an_error_the_sdk_raises(client, member, llm, base_url):
    app_id, marker = published_chat_app(client, member)
    openai_client = sdk(base_url, api_key(client, member))
    llm.script_chat(marker, ChatReply(status=500, error_message="upstream exploded"))
    with pytest.raises(openai.APIStatusError) as caught:
        openai_client.chat.completions.create(model=app_id, messages=[{"role": "user", "content": "hi"}])
    assert caught.value.status_code == 502 and "upstream exploded" in caught.value.message

    llm.script_chat(marker, ChatReply(text="partial answer that breaks", chunk_size=4, fail_after_chunks=3))
    stream = openai_client.chat.completions.create(model=app_id, messages=[{"role": "user", "content": "hi"}], stream=True)
    with pytest.raises(openai.APIError):
        for _ in stream:
            pass


def test_images_of_the_question_reach_a_model_that_reads_images(client, member, llm, base_url):
    app_id, marker = published_chat_app(client, member)
    question = [{"type": "text", "text": "这是什么?"}, {"type": "image_url", "image_url": {"url": "https://cdn.example.com/cat.png"}}]
    sdk(base_url, api_key(client, member)).chat.completions.create(model=app_id, messages=[{"role": "user", "content": question}])
    (request,) = agent_requests(llm, marker)
    assert "https://cdn.example.com/cat.png" in json.dumps(request["messages"][-1])


# --- slow models: keep-alive and the deadline (an embedded app with a short ping interval and timeout) --


@pytest.fixture(scope="module")
def impatient_app(tmp_path_factory, fake_github, fake_llm):
    """An embedded app whose runs may take two seconds, pinging every 0.2 s of silence."""
    settings = make_settings(
        tmp_path_factory.mktemp("impatient-v1"),
        agent=AgentSettings(_env_file=None, agent_timeout=2.0, agent_ping_interval=0.2),
        **_common_overrides(fake_github, fake_llm),
    )
    return create_flask_app(settings)


def test_a_quiet_model_keeps_the_stream_alive_with_comments_the_sdk_skips(impatient_app, llm):
    client = impatient_app.test_client()
    member = create_member(impatient_app, client)
    app_id, marker = published_chat_app(client, member)
    key = api_key(client, member)
    llm.script_chat(marker, ChatReply(text="slow but sure", delay=1.0))
    body = {"model": app_id, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    resp = client.post("/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"})
    blocks = resp.get_data(as_text=True).split("\n\n")
    assert ": ping" in blocks and blocks[-2] == "data: [DONE]"
    chunks = [json.loads(block[len("data: "):]) for block in blocks if block.startswith("data: {")]
    assert "".join(chunk["choices"][0]["delta"].get("content") or "" for chunk in chunks) == "slow but sure"

    with served(impatient_app) as url:
        llm.script_chat(marker, ChatReply(text="slow again", delay=1.0))
        stream = sdk(url, key).chat.completions.create(model=app_id, messages=[{"role": "user", "content": "hi"}], stream=True)
        assert "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices) == "slow again"


def test_a_run_past_its_deadline_is_a_gateway_timeout_or_an_error_chunk(impatient_app, llm):
    client = impatient_app.test_client()
    member = create_member(impatient_app, client)
    app_id, marker = published_chat_app(client, member)
    key = api_key(client, member)
    llm.script_chat(marker, ChatReply(text="too late", delay=4), ChatReply(text="too late", delay=4))
    with served(impatient_app) as url:
        with pytest.raises(openai.APIStatusError) as caught:
            sdk(url, key).chat.completions.create(model=app_id, messages=[{"role": "user", "content": "hi"}])
        assert caught.value.status_code == 504
        stream = sdk(url, key).chat.completions.create(model=app_id, messages=[{"role": "user", "content": "hi"}], stream=True)
        with pytest.raises(openai.APIError) as caught:
            list(stream)
        assert caught.value.body["code"] == "timeout"
