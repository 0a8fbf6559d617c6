"""The fake OpenAI chat endpoint, exercised through the real LangChain/OpenAI client."""

import time

import httpx
import openai
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_openai import ChatOpenAI

from test.fakes.openai_server import ChatReply, FakeOpenAI, ToolCall


def get_weather(city: str) -> str:
    """The current weather in a city."""
    return "sunny"


def get_time(timezone: str) -> str:
    """The current time in a timezone."""
    return "12:00"


@pytest.fixture(scope="module")
def server():
    fake = FakeOpenAI(api_key="sk-test-chat").start()
    yield fake
    fake.stop()


@pytest.fixture
def fake(server):
    server.reset_chat()
    return server


def chat_model(fake: FakeOpenAI, **options) -> ChatOpenAI:
    return ChatOpenAI(
        model="gpt-4o-mini", base_url=fake.api_base, api_key=fake.api_key, stream_usage=True, max_retries=0, **options
    )


def two_tool_calls() -> ChatReply:
    return ChatReply(
        tool_calls=[ToolCall("get_weather", {"city": "Paris"}), ToolCall("get_time", {"timezone": "Europe/Paris"})],
        chunk_size=3,
    )


def test_unscripted_invoke_echoes_the_last_user_message_with_counted_usage(fake):
    message = chat_model(fake).invoke([SystemMessage("Be brief"), HumanMessage("hello there world")])

    assert message.content == "Echo: hello there world"
    assert message.response_metadata["finish_reason"] == "stop"
    assert message.response_metadata["model_name"] == "gpt-4o-mini"
    # Words: "Be brief hello there world" in, "Echo hello there world" out.
    assert message.usage_metadata["input_tokens"] == 5
    assert message.usage_metadata["output_tokens"] == 4
    assert message.usage_metadata["total_tokens"] == 9
    [body] = fake.chat_requests()
    assert body["model"] == "gpt-4o-mini"
    assert body["messages"] == [
        {"role": "system", "content": "Be brief"},
        {"role": "user", "content": "hello there world"},
    ]


def test_stream_sends_the_text_in_several_chunks_then_usage(fake):
    fake.script_chat("story", ChatReply(text="Once upon a time, far away.", chunk_size=5, usage=(11, 7)))

    chunks = list(chat_model(fake).stream("tell a story"))

    texts = [chunk.content for chunk in chunks if chunk.content]
    assert len(texts) == 6
    assert "".join(texts) == "Once upon a time, far away."
    [usage] = [chunk.usage_metadata for chunk in chunks if chunk.usage_metadata]
    assert (usage["input_tokens"], usage["output_tokens"], usage["total_tokens"]) == (11, 7, 18)
    [body] = fake.chat_requests()
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_chunks_are_flushed_as_they_are_produced(fake):
    fake.script_chat("slow", ChatReply(text="abcdefgh", chunk_size=2, chunk_delay=0.1))

    started = time.monotonic()
    arrivals = [time.monotonic() - started for chunk in chat_model(fake).stream("slow please") if chunk.content]

    assert len(arrivals) == 4
    # Pieces arrive spread out as produced (0.1 s apart), not all at once when the reply ends.
    assert arrivals[-1] - arrivals[0] >= 0.25


def test_bind_tools_invoke_returns_two_tool_calls_and_sends_the_tools(fake):
    reply = two_tool_calls()
    fake.script_chat("weather", reply)

    message = chat_model(fake).bind_tools([get_weather, get_time]).invoke("What's the weather and time in Paris?")

    assert message.response_metadata["finish_reason"] == "tool_calls"
    assert [(call["name"], call["args"], call["id"]) for call in message.tool_calls] == [
        ("get_weather", {"city": "Paris"}, reply.tool_calls[0].id),
        ("get_time", {"timezone": "Europe/Paris"}, reply.tool_calls[1].id),
    ]
    assert all(call["id"].startswith("call_") for call in message.tool_calls)
    [body] = fake.chat_requests("weather")
    assert [tool["function"]["name"] for tool in body["tools"]] == ["get_weather", "get_time"]
    assert body["tools"][0]["function"]["parameters"]["properties"] == {"city": {"type": "string"}}


def test_bind_tools_stream_assembles_two_tool_calls_from_pieces(fake):
    reply = two_tool_calls()
    fake.script_chat("weather", reply)

    chunks = list(chat_model(fake).bind_tools([get_weather, get_time]).stream("weather and time in Paris?"))

    argument_pieces = [piece for chunk in chunks for piece in chunk.tool_call_chunks]
    assert len(argument_pieces) > 4  # each call's arguments came in several pieces
    message = sum(chunks[1:], chunks[0])
    assert [(call["name"], call["args"], call["id"]) for call in message.tool_calls] == [
        ("get_weather", {"city": "Paris"}, reply.tool_calls[0].id),
        ("get_time", {"timezone": "Europe/Paris"}, reply.tool_calls[1].id),
    ]
    assert message.response_metadata["finish_reason"] == "tool_calls"
    assert message.usage_metadata["total_tokens"] > 0


def test_tool_results_are_recorded_as_sent(fake):
    history = [
        HumanMessage("weather in Paris?"),
        AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "call_abc"}]),
        ToolMessage("sunny", tool_call_id="call_abc"),
    ]

    message = chat_model(fake).bind_tools([get_weather]).invoke(history)

    assert message.content == "Echo: weather in Paris?"
    [body] = fake.chat_requests("sunny")
    assert body["messages"][1]["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    assert body["messages"][2] == {"role": "tool", "content": "sunny", "tool_call_id": "call_abc"}


def test_scripts_match_by_substring_or_predicate_in_registration_order_and_are_used_once(fake):
    model = chat_model(fake)
    fake.script_chat("secret", ChatReply(text="first"), ChatReply(text="second"))
    fake.script_chat(lambda body: body.get("temperature") == 0.5, ChatReply(text="warm"))

    # The system prompt counts towards the substring match.
    assert model.invoke([SystemMessage("the secret word"), HumanMessage("hi")]).content == "first"
    assert chat_model(fake, temperature=0.5).invoke("no match by text").content == "warm"
    # Both scripts fit; the earlier one answers.
    assert chat_model(fake, temperature=0.5).invoke("secret again").content == "second"
    assert model.invoke("secret once more").content == "Echo: secret once more"

    assert len(fake.chat_requests()) == 4
    assert len(fake.chat_requests("secret")) == 3
    assert [body["messages"][0]["content"] for body in fake.chat_requests(lambda body: "temperature" in body)] == [
        "no match by text",
        "secret again",
    ]


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, openai.InternalServerError), (429, openai.RateLimitError), (400, openai.BadRequestError)],
)
def test_scripted_error_status_raises_the_openai_error(fake, status, error):
    fake.script_chat("fail", ChatReply(status=status, error_message="scripted trouble"))

    with pytest.raises(error, match="scripted trouble"):
        chat_model(fake).invoke("fail now")


def test_delay_past_the_client_timeout_raises_a_timeout(fake):
    fake.script_chat("slow", ChatReply(text="too late", delay=1.0))

    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        chat_model(fake, timeout=0.2).invoke("slow")
    assert time.monotonic() - started < 0.8
    # The server copes with the client hanging up: the next request is answered.
    assert chat_model(fake).invoke("still there?").content == "Echo: still there?"


def test_fail_after_chunks_breaks_the_stream(fake):
    fake.script_chat("break", ChatReply(text="a long reply that will not finish", chunk_size=3, fail_after_chunks=3))

    received = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in chat_model(fake).stream("break it"):
            received.append(chunk.content)
    assert "".join(received) == "a long"  # the role chunk and two pieces arrived, then the cut


def test_invalid_requests_get_openai_400s_and_a_wrong_key_401(fake):
    url = fake.api_base + "/chat/completions"
    auth = {"Authorization": f"Bearer {fake.api_key}"}
    invalid = [
        ({"messages": [{"role": "user", "content": "hi"}]}, None),
        ({"model": "gpt-4o-mini", "messages": []}, "messages"),
        ({"model": "gpt-4o-mini", "messages": [{"role": "robot", "content": "hi"}]}, "messages[0].role"),
        ({"model": "gpt-4o-mini", "messages": [{"role": "tool", "content": "4"}]}, "messages[0].tool_call_id"),
    ]
    for body, param in invalid:
        response = httpx.post(url, json=body, headers=auth, timeout=5)
        assert response.status_code == 400, body
        assert response.json()["error"]["param"] == param
    fake.script_chat("hi", ChatReply(text="unused by invalid requests"))
    assert chat_model(fake).invoke("hi").content == "unused by invalid requests"

    with pytest.raises(openai.AuthenticationError):
        ChatOpenAI(model="gpt-4o-mini", base_url=fake.api_base, api_key="sk-wrong", max_retries=0).invoke("hi")
