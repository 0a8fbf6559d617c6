"""llmops-api.md §2.1–2.4 built-in tools: categories, providers with their tools, one tool, and provider icons."""

import pytest

from test.api.assertions import success_data

PROVIDERS = ["google", "duckduckgo", "wikipedia", "dalle", "gaode", "time", "calculator", "webpage"]
PROVIDER_KEYS = {"name", "label", "description", "category", "background", "tools", "created_at"}
TOOL_KEYS = {"name", "label", "description", "inputs", "params"}
INPUT_KEYS = {"name", "description", "required", "type"}
PARAM_KEYS = {"name", "label", "type", "required", "default", "min", "max", "help", "options"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def get_providers(client, member) -> list[dict]:
    resp = client.get("/builtin-tools", headers=member.headers)
    return success_data(resp)


def test_categories_are_a_plain_array_with_svg_icons(client, member):
    resp = client.get("/builtin-tools/categories", headers=member.headers)
    assert resp.status_code == 200 and resp.json["code"] == "success"
    categories = resp.json["data"]
    assert isinstance(categories, list)
    assert [c["category"] for c in categories] == ["search", "image", "weather", "tool"]
    assert {c["category"]: c["name"] for c in categories}["search"] == "搜索"
    for category in categories:
        assert set(category) == {"category", "name", "icon"}
        assert category["icon"].lstrip().startswith("<svg") and category["icon"].rstrip().endswith("</svg>")


def test_every_provider_is_listed_with_its_tools_in_the_documented_shape(client, member):
    providers = get_providers(client, member)
    assert [p["name"] for p in providers] == PROVIDERS
    categories = {c["category"] for c in client.get("/builtin-tools/categories", headers=member.headers).json["data"]}
    for provider in providers:
        assert set(provider) == PROVIDER_KEYS
        assert provider["category"] in categories
        assert provider["background"].startswith("#") and len(provider["background"]) == 7
        assert isinstance(provider["created_at"], int) and 1_600_000_000 < provider["created_at"] < 2_000_000_000
        assert provider["tools"], provider["name"]
        for tool in provider["tools"]:
            assert set(tool) == TOOL_KEYS
            for tool_input in tool["inputs"]:
                assert set(tool_input) == INPUT_KEYS
            for param in tool["params"]:
                assert set(param) == PARAM_KEYS
                assert param["type"] in ("string", "number", "boolean", "select")
                assert param["help"] is None or isinstance(param["help"], str)
                if param["type"] == "select":
                    assert param["options"] and all(set(o) == {"value", "label"} for o in param["options"])
                if param["type"] != "number":
                    assert param["min"] is None and param["max"] is None


def test_google_serper_matches_the_documented_example(client, member):
    google = next(p for p in get_providers(client, member) if p["name"] == "google")
    assert (google["label"], google["category"], google["background"]) == ("Google", "search", "#E5E7EB")
    serper = google["tools"][0]
    assert serper["name"] == "google_serper" and serper["label"] == "谷歌Serper搜索"
    assert serper["inputs"] == [{"name": "query", "description": "输入应该是搜索查询语句", "required": True, "type": "string"}]
    assert serper["params"] == []


def test_dalle3_declares_size_and_style_selects_with_null_bounds(client, member):
    dalle = next(p for p in get_providers(client, member) if p["name"] == "dalle")
    size, style = dalle["tools"][0]["params"]
    assert size["name"] == "size" and size["type"] == "select" and size["required"] is True
    assert [o["value"] for o in size["options"]] == ["1024x1024", "1792x1024", "1024x1792"]
    assert (size["min"], size["max"], size["help"]) == (None, None, "")
    assert [o["value"] for o in style["options"]] == ["vivid", "natural"]


def test_unused_default_is_null_and_number_params_carry_bounds(client, member):
    providers = {p["name"]: p for p in get_providers(client, member)}
    max_results = providers["duckduckgo"]["tools"][0]["params"][0]
    assert (max_results["type"], max_results["default"], max_results["min"], max_results["max"]) == ("number", 5, 1, 10)
    assert providers["time"]["tools"][0]["inputs"] == []


@pytest.mark.parametrize(("provider", "tool"), [("google", "google_serper"), ("dalle", "dalle3"), ("gaode", "gaode_ip")])
def test_one_tool_is_returned_with_its_provider(client, member, provider, tool):
    listed = next(p for p in get_providers(client, member) if p["name"] == provider)
    resp = client.get(f"/builtin-tools/{provider}/tools/{tool}", headers=member.headers)
    assert resp.status_code == 200 and resp.json["code"] == "success"
    data = resp.json["data"]
    assert list(data) == ["provider", "name", "label", "description", "inputs", "params", "created_at"]
    assert data["provider"] == {k: listed[k] for k in ("name", "label", "description", "category", "background")}
    assert {k: data[k] for k in TOOL_KEYS} == next(t for t in listed["tools"] if t["name"] == tool)
    assert data["created_at"] == listed["created_at"]


@pytest.mark.parametrize("path", ["/builtin-tools/nope/tools/google_serper", "/builtin-tools/google/tools/nope", "/builtin-tools/google/tools/dalle3"])
def test_unknown_provider_or_tool_is_not_found(client, member, path):
    resp = client.get(path, headers=member.headers)
    assert resp.status_code == 404
    assert resp.json["code"] == "not_found" and resp.json["message"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_provider_icon_is_served_raw_without_auth(client, provider):
    resp = client.get(f"/builtin-tools/{provider}/icon")
    assert resp.status_code == 200
    if resp.mimetype == "image/svg+xml":
        assert resp.data.lstrip().startswith(b"<svg")
    else:
        assert resp.mimetype == "image/png" and resp.data.startswith(PNG_MAGIC)
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_icons_have_the_content_type_of_their_file(client):
    google = client.get("/builtin-tools/google/icon")
    assert google.mimetype == "image/svg+xml" and b'fill="#4285F4"' in google.data
    calculator = client.get("/builtin-tools/calculator/icon")
    assert calculator.headers["Content-Type"] == "image/png" and calculator.data.startswith(PNG_MAGIC)


def test_unknown_provider_icon_is_a_not_found_envelope(client):
    resp = client.get("/builtin-tools/nope/icon")
    assert resp.status_code == 404 and resp.is_json
    assert resp.json["code"] == "not_found"


@pytest.mark.parametrize("path", ["/builtin-tools", "/builtin-tools/categories", "/builtin-tools/google/tools/google_serper"])
def test_catalog_routes_need_a_token(client, path):
    resp = client.get(path)
    assert resp.status_code == 401 and resp.json["code"] == "unauthorized"
