"""llmops-api.md §12 language models: the catalog, one model, provider icons."""

import pytest

PROVIDERS = ["openai", "deepseek", "moonshot", "tongyi", "zhipu", "ollama"]
MODEL_KEYS = {
    "model", "label", "model_type", "context_window", "max_output_tokens", "features",
    "metadata", "attributes", "parameters", "name", "model_name", "context_windows",
}
PARAMETER_KEYS = {"name", "label", "type", "help", "required", "default", "min", "max", "precision", "options"}


def test_list_has_every_provider_in_position_order_with_models(client, member):
    resp = client.get("/language-models", headers=member.headers)
    assert resp.status_code == 200 and resp.json["message"] == ""
    providers = resp.json["data"]
    assert [p["name"] for p in providers] == PROVIDERS
    positions = [p["position"] for p in providers]
    assert positions == sorted(positions)
    for provider in providers:
        assert set(provider) == {"name", "position", "label", "icon", "description", "background", "support_model_types", "models"}
        assert provider["icon"].endswith(f"/language-models/{provider['name']}/icon")
        assert provider["background"].startswith("#") and provider["support_model_types"] == ["chat"]
        assert provider["models"], provider["name"]
        for model in provider["models"]:
            assert set(model) == MODEL_KEYS
            assert model["name"] == model["model_name"] == model["model"]
            assert model["context_windows"] == model["context_window"]
            assert set(model["features"]) <= {"tool_call", "agent_thought", "image_input"}
            assert model["max_output_tokens"] <= model["context_window"]
            pricing = model["metadata"]["pricing"]
            assert pricing["currency"] == "CNY" and pricing["input"] >= 0 and pricing["output"] >= 0
            names = [p["name"] for p in model["parameters"]]
            assert names == ["temperature", "top_p", "presence_penalty", "frequency_penalty", "max_tokens"]
            for parameter in model["parameters"]:
                assert set(parameter) == PARAMETER_KEYS
                if parameter["min"] is not None:
                    assert parameter["min"] <= parameter["default"] <= parameter["max"]


def test_the_default_app_model_accepts_the_default_app_parameters(client, member):
    model = client.get("/language-models/openai/gpt-4o-mini", headers=member.headers).json["data"]
    bounds = {p["name"]: (p["min"], p["max"]) for p in model["parameters"]}
    defaults = {"temperature": 0.5, "top_p": 0.85, "frequency_penalty": 0.2, "presence_penalty": 0.2, "max_tokens": 8192}
    for name, value in defaults.items():
        low, high = bounds[name]
        assert low <= value <= high, name


def test_get_one_model(client, member):
    resp = client.get("/language-models/deepseek/deepseek-chat", headers=member.headers)
    data = resp.json["data"]
    assert set(data) == MODEL_KEYS
    assert data["model"] == data["model_name"] == data["name"] == "deepseek-chat" and data["model_type"] == "chat"
    assert "tool_call" in data["features"] and data["context_window"] == 65536


@pytest.mark.parametrize("path", ["/language-models/nope/gpt-4o-mini", "/language-models/openai/nope"])
def test_unknown_model_is_not_found(client, member, path):
    resp = client.get(path, headers=member.headers)
    assert resp.status_code == 404 and resp.json["code"] == "not_found"


def test_catalog_requires_a_token(client):
    assert client.get("/language-models").status_code == 401
    assert client.get("/language-models/openai/gpt-4o-mini").status_code == 401


@pytest.mark.parametrize("provider", PROVIDERS)
def test_icons_are_public_svg(client, provider):
    resp = client.get(f"/language-models/{provider}/icon")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
    assert resp.data.startswith(b"<svg")


def test_unknown_icon_is_a_not_found_envelope(client):
    resp = client.get("/language-models/nope/icon")
    assert resp.status_code == 404 and resp.json["code"] == "not_found"
