"""AI Stack's shared conventions, through HTTP on both addresses and both profiles: the
envelope and error codes, POST /api/auth/token and the credentials every system accepts, the
per-caller rate limit, each system's own document, and what a system's port does not serve."""

import json
import re

import pytest

from config.settings import AIStackSettings, RedisSettings
from internal.aistack.systems import SYSTEMS
from internal.server import create_app
from test.conftest import PASSWORD, create_member, make_settings

from .client import AIStackClient, address, assert_error, data_of, issue_token

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def test_token_is_a_bearer_token_of_an_hour_that_every_system_accepts(app, client, via):
    member = create_member(app, client)
    base_url, path = address("rag", "/api/auth/token", via)
    resp = client.post(path, base_url=base_url, json={"username": member.email.upper(), "password": PASSWORD})
    data = data_of(resp)
    assert data["token_type"] == "bearer" and data["expires_in"] == 3600 and data["access_token"]
    assert ISO_UTC.match(resp.json["timestamp"])
    for system in SYSTEMS:
        me = data_of(AIStackClient(client, data["access_token"], via).get(system.name, "/api/auth/me"))
        assert me == {"account_id": str(member.id), "email": member.email, "name": member.email.split("@")[0], "scopes": None}


def test_wrong_password_is_unauthorized_and_repeated_failures_lock_out(app, client):
    member = create_member(app, client)
    stack = AIStackClient(client, None)
    for _ in range(5):
        assert_error(stack.post("erp", "/api/auth/token", json={"username": member.email, "password": "wrong1234"}), 401, "UNAUTHORIZED")
    locked = stack.post("erp", "/api/auth/token", json={"username": member.email, "password": PASSWORD})
    assert_error(locked, 429, "RATE_LIMIT_EXCEEDED")


def test_invalid_input_names_every_offending_field(client, via):
    stack = AIStackClient(client, None, via)
    error = assert_error(stack.post("chat", "/api/auth/token", json={"username": "  "}), 400, "INVALID_INPUT")
    assert set(error["details"]) == {"username", "password"}
    malformed = stack.post("chat", "/api/auth/token", data="{not json", content_type="application/json")
    assert_error(malformed, 400, "INVALID_INPUT")


def test_the_platform_and_ai_stack_do_not_take_each_others_tokens(app, client, member):
    aistack_token = issue_token(client, member.email, PASSWORD)
    assert client.get("/account", headers={"Authorization": f"Bearer {aistack_token}"}).status_code == 401
    console = AIStackClient(client, member.token)
    assert_error(console.get("rag", "/api/auth/me"), 401, "UNAUTHORIZED")


def test_platform_api_keys_are_accepted_as_bearer(client, member, via):
    assert client.post("/openapi/api-keys", json={"is_active": True}, headers=member.headers).status_code == 200
    key = client.get("/openapi/api-keys", headers=member.headers).json["data"]["list"][0]["api_key"]
    assert data_of(AIStackClient(client, key, via).get("stock", "/api/auth/me"))["account_id"] == str(member.id)
    client.post(f"/openapi/api-keys/{client.get('/openapi/api-keys', headers=member.headers).json['data']['list'][0]['id']}/is-active",
                json={"is_active": False}, headers=member.headers)  # fmt: skip
    assert_error(AIStackClient(client, key, via).get("stock", "/api/auth/me"), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("header", [None, "Bearer", "Basic abc", "Bearer not-a-token", "Bearer llmops-v1/unknown"])
def test_protected_routes_refuse_missing_and_bad_credentials(client, header):
    headers = {"Authorization": header} if header else {}
    resp = AIStackClient(client, None).get("tasks", "/api/auth/me", headers=headers)
    assert_error(resp, 401, "UNAUTHORIZED")
    assert resp.headers["X-RateLimit-Limit"]


def test_unknown_paths_and_methods_answer_in_the_documents_shape(client, via):
    stack = AIStackClient(client, None, via)
    assert_error(stack.get("learning", "/api/nothing-here"), 404, "RESOURCE_NOT_FOUND")
    assert_error(stack.get("learning", "/api/auth/token"), 405, "INVALID_INPUT")


def test_a_systems_port_serves_only_that_system(client):
    # The platform's own routes are not on a system's port; other systems are reached by prefix only.
    assert_error(client.get("/account", base_url="http://localhost:8011"), 404, "RESOURCE_NOT_FOUND")
    platform_port = client.get("/api/auth/me", base_url="http://localhost:5000")
    assert platform_port.status_code == 404 and platform_port.json["code"] == "not_found"
    resp = client.post("/api/auth/token", base_url="http://localhost:8013", json={})
    assert_error(resp, 400, "INVALID_INPUT")


@pytest.mark.parametrize("system", SYSTEMS, ids=lambda s: s.name)
def test_each_system_serves_its_own_document_on_both_addresses(client, system):
    for via in ("prefix", "port"):
        base_url, path = address(system.name, "/docs/openapi.json", via)
        spec = client.get(path, base_url=base_url).json
        assert system.title in spec["info"]["title"]
        assert "/api/auth/token" in spec["paths"] and "/api/auth/me" in spec["paths"]
        assert all(p.startswith("/api/") for p in spec["paths"]), list(spec["paths"])
        assert {s["url"] for s in spec["servers"]} == {f"http://localhost:{system.port}", system.prefix}
        assert spec["paths"]["/api/auth/me"]["get"]["security"] == [{"bearer": []}]
        assert spec["paths"]["/api/auth/token"]["post"]["security"] == []
        token_responses = spec["paths"]["/api/auth/token"]["post"]["responses"]
        assert {"200", "400"} <= set(token_responses)
        base_url, path = address(system.name, "/docs", via)
        assert client.get(path, base_url=base_url).status_code == 302
    platform = client.get("/docs/openapi.json").json
    assert not any(p.startswith("/aistack") for p in platform["paths"])


@pytest.fixture(scope="module", params=["memory", "redis"])
def limited_app(request, tmp_path_factory):
    """An app whose AI Stack callers may make 3 requests a minute, counted in the process or in Redis."""
    overrides = {"aistack": AIStackSettings(_env_file=None, aistack_rate_limit="3/minute")}
    if request.param == "redis":
        overrides["redis"] = RedisSettings(_env_file=None, redis_url=request.getfixturevalue("redis_url"))
    return create_app(make_settings(tmp_path_factory.mktemp("limited"), **overrides))


def test_each_caller_gets_its_rate_with_headers_on_every_response(limited_app):
    client = limited_app.test_client()
    tokens = []
    for _ in range(2):
        member = create_member(limited_app, client)
        tokens.append((member, issue_token(client, member.email, PASSWORD)))
    (_, first_token), (_, second_token) = tokens
    stack = AIStackClient(client, first_token)
    remaining = []
    for _ in range(3):
        resp = stack.get("rag", "/api/auth/me")
        data_of(resp)
        assert resp.headers["X-RateLimit-Limit"] == "3"
        remaining.append(int(resp.headers["X-RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]
    refused = stack.get("erp", "/api/auth/me")  # one budget across systems
    error = assert_error(refused, 429, "RATE_LIMIT_EXCEEDED")
    assert int(refused.headers["Retry-After"]) >= 1 and error["details"]["limit"] == 3
    assert refused.headers["X-RateLimit-Remaining"] == "0" and int(refused.headers["X-RateLimit-Reset"]) > 0
    # Another caller has a budget of its own.
    data_of(AIStackClient(client, second_token).get("rag", "/api/auth/me"))
    assert json.loads(refused.data)["status"] == "error"
