"""The OpenAI-compatible surface (`/v1/models`, `/v1/chat/completions`), driven by the real `openai`
Python client against the app served over HTTP, and its error bodies through the test client."""

import threading
import uuid
from collections.abc import Iterator

import openai
import pytest
from werkzeug.serving import make_server

from test.api.apps import create_app, publish
from test.api.chat import chat_app
from test.api.test_api_keys import create_key, list_keys


@pytest.fixture(scope="module")
def base_url(app) -> Iterator[str]:
    """The app served on a local port, as a deployment serves it (threaded: streams run beside requests)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()
    thread.join()


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
