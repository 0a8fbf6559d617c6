"""The model factory: parameter checks, credentials, and real requests to an OpenAI-compatible server."""

import json
import time

import pytest

from config.settings import ProviderSettings
from internal.core.language_model.catalog import LanguageModelCatalog
from internal.core.language_model.factory import LanguageModelFactory
from internal.exception import FailException, ValidateErrorException
from test.conftest import make_settings
from test.fakes.http_server import FakeServer, RecordedRequest, Reply


class ChatCompletionsServer(FakeServer):
    """Answers /chat/completions with a fixed reply and records the payloads it receives."""

    def route(self, request: RecordedRequest) -> Reply:
        if request.method == "POST" and request.path.endswith("/chat/completions"):
            body = request.json()
            return Reply(200, {
                "id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()), "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "你好"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
            })
        return Reply(404, {"error": {"message": "not found"}})


@pytest.fixture(scope="module")
def chat_server():
    server = ChatCompletionsServer().start()
    yield server
    server.stop()


@pytest.fixture
def factory(tmp_path, chat_server):
    providers = ProviderSettings(
        _env_file=None,
        openai_api_key="sk-openai",
        openai_api_base=chat_server.url + "/v1",
        deepseek_api_key="sk-deepseek",
        deepseek_api_base=chat_server.url + "/deepseek/v1",
        ollama_api_base=chat_server.url + "/ollama/v1",
        llm_max_retries=0,
    )
    return LanguageModelFactory(make_settings(tmp_path, providers=providers), LanguageModelCatalog.load())


def test_defaults_fill_in_and_values_are_checked(factory):
    resolved = factory.resolve("openai", "gpt-4o-mini", {"temperature": 0.5})
    assert resolved.parameters == {"temperature": 0.5, "top_p": 1, "presence_penalty": 0, "frequency_penalty": 0, "max_tokens": 4096}
    assert factory.resolve("openai", "gpt-4o-mini", {"temperature": 0.123}).parameters["temperature"] == 0.12


@pytest.mark.parametrize(
    ("provider", "model", "parameters", "field"),
    [
        ("nope", "gpt-4o-mini", {}, "model_config.provider"),
        ("openai", "nope", {}, "model_config.model"),
        ("openai", "gpt-4o-mini", {"temperature": 2.5}, "model_config.parameters.temperature"),
        ("openai", "gpt-4o-mini", {"temperature": "hot"}, "model_config.parameters.temperature"),
        ("openai", "gpt-4o-mini", {"top_p": -0.1}, "model_config.parameters.top_p"),
        ("openai", "gpt-4o-mini", {"max_tokens": 16385}, "model_config.parameters.max_tokens"),
        ("openai", "gpt-4o-mini", {"max_tokens": 1.5}, "model_config.parameters.max_tokens"),
        ("openai", "gpt-4o-mini", {"max_tokens": True}, "model_config.parameters.max_tokens"),
        ("openai", "gpt-4o-mini", {"seed": 1}, "model_config.parameters.seed"),
        ("moonshot", "moonshot-v1-8k", {"max_tokens": 8192}, "model_config.parameters.max_tokens"),
    ],
)
def test_invalid_choices_name_the_field(factory, provider, model, parameters, field):
    with pytest.raises(ValidateErrorException) as excinfo:
        factory.resolve(provider, model, parameters)
    assert excinfo.value.message.startswith(f"{field}:")


def test_openai_model_sends_the_request_with_key_and_parameters(factory, chat_server):
    model = factory.create("openai", "gpt-4o-mini", {"temperature": 0.5, "top_p": 0.85, "max_tokens": 100})
    assert model.invoke("hi").content == "你好"
    request = chat_server.requests[-1]
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-openai"
    payload = request.json()
    assert payload["model"] == "gpt-4o-mini" and payload["temperature"] == 0.5 and payload["top_p"] == 0.85
    assert payload["max_completion_tokens"] == 100


def test_compatible_providers_receive_max_tokens(factory, chat_server):
    factory.create("deepseek", "deepseek-chat", {"max_tokens": 200}).invoke("hi")
    request = chat_server.requests[-1]
    assert request.path == "/deepseek/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-deepseek"
    payload = request.json()
    assert payload["max_tokens"] == 200 and "max_completion_tokens" not in payload


def test_ollama_needs_no_key(factory, chat_server):
    factory.create("ollama", "qwen2.5").invoke("hi")
    assert chat_server.requests[-1].path == "/ollama/v1/chat/completions"


def test_missing_key_is_a_clear_failure(factory):
    with pytest.raises(FailException, match="MOONSHOT_API_KEY"):
        factory.create("moonshot", "moonshot-v1-8k")


def test_every_catalog_model_validates_its_own_defaults(factory):
    for provider in factory.catalog.providers:
        for model in provider.models:
            resolved = factory.resolve(provider.name, model.model, {})
            json.dumps(resolved.parameters)
