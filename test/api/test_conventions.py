"""Conventions every route shares: the envelope on every error, CORS, the OpenAPI document."""

import pytest

from internal.router import Router
from internal.server import create_app
from test.api.assertions import assert_envelope
from test.conftest import make_settings

ALLOWED_ORIGIN = "http://localhost:5173"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unknown_route_is_a_not_found_envelope(client, method):
    assert_envelope(client.open("/no/such/route", method=method), 404, "not_found")


def test_wrong_method_is_a_405_envelope_with_allow(client):
    resp = client.delete("/account")
    assert_envelope(resp, 405, "fail")
    assert "GET" in resp.headers["Allow"]


def test_malformed_json_is_a_validate_error(client):
    resp = client.post("/auth/password-login", data="{bad json", content_type="application/json")
    assert_envelope(resp, 400, "validate_error")


def test_json_that_is_not_an_object_is_a_validate_error(client):
    for body in ("[1, 2]", '"text"', "42", "null"):
        resp = client.post("/auth/password-login", data=body, content_type="application/json")
        assert_envelope(resp, 400, "validate_error")


def test_non_json_body_is_unsupported_media_type(client):
    resp = client.post("/auth/password-login", data="email=a@b.c", content_type="application/x-www-form-urlencoded")
    assert_envelope(resp, 415, "validate_error")


def test_json_sent_without_its_content_type_is_still_understood(client, member):
    body = f'{{"email": "{member.email}", "password": "{member.password}"}}'
    resp = client.post("/auth/password-login", data=body, content_type="text/plain")
    assert resp.json["code"] == "success"


def test_chinese_is_not_escaped_and_no_cookie_is_set(client, member):
    resp = client.post("/account/name", json={"name": "泽辉呀"}, headers=member.headers)
    assert "修改账号名称成功".encode() in resp.data
    assert "Set-Cookie" not in resp.headers


def preflight(client, path, origin=ALLOWED_ORIGIN):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )


@pytest.mark.parametrize("path", ["/account", "/no/such/route", "/apps/not-a-uuid/delete"])
def test_cors_preflight_from_an_allowed_origin_answers_204_on_every_path(client, path):
    resp = preflight(client, path)
    assert resp.status_code == 204 and resp.data == b""
    assert resp.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert resp.headers["Access-Control-Allow-Credentials"] == "true"
    allowed_headers = resp.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers
    assert {"GET", "POST"} <= set(m.strip() for m in resp.headers["Access-Control-Allow-Methods"].split(","))


def test_the_not_found_envelope_of_an_unknown_path_is_readable_cross_origin(client):
    resp = client.post("/no/such/route", json={}, headers={"Origin": ALLOWED_ORIGIN})
    assert_envelope(resp, 404, "not_found")
    assert resp.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


def test_a_preflight_from_another_origin_is_not_allowed(client):
    for path in ("/account", "/no/such/route"):
        resp = preflight(client, path, origin="https://evil.example.com")
        assert resp.status_code != 204 and "Access-Control-Allow-Origin" not in resp.headers


def test_cors_headers_are_on_errors_too_and_absent_for_other_origins(client):
    assert client.get("/account", headers={"Origin": ALLOWED_ORIGIN}).headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    foreign = client.get("/account", headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_openapi_document_lists_every_route_with_its_shapes(app, client):
    spec = client.get("/docs/openapi.json").json
    assert spec["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    router = app.extensions["injector"].get(Router)
    routes = [route for group in router.groups() for route in group.routes]
    assert {"/openapi/chat", "/v1/chat/completions", "/web-apps/<string:token>/chat", "/wechat/<uuid:app_id>"} <= {
        rule for _, rule, _ in routes
    }
    for method, rule, _ in routes:
        path = rule
        for converter in ("<uuid:", "<string:", "<path:", "<"):
            path = path.replace(converter, "{")
        path = path.replace(">", "}")
        assert (path, method.lower()) in documented, f"{method} {rule} missing from the OpenAPI document"

    login = spec["paths"]["/auth/password-login"]["post"]
    body_ref = login["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(spec["components"]["schemas"][body_ref]["properties"]) == {"email", "password"}
    assert login.get("security") in (None, [])
    assert spec["paths"]["/account"]["get"]["security"] == [{"access_token": []}]


def test_every_api_key_operation_documents_its_rate_limit(client):
    spec = client.get("/docs/openapi.json").json
    keyed = [
        (path, method, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if {"api_key": []} in (op.get("security") or [])
    ]
    assert {"/openapi/chat", "/v1/models", "/v1/chat/completions"} <= {path for path, _, _ in keyed}
    for path, method, op in keyed:
        assert "429" in op["responses"], f"{method.upper()} {path} does not document 429"


def test_docs_page_is_served(client):
    assert client.get("/docs").status_code == 302
    page = client.get("/docs/swagger/")
    assert page.status_code == 200 and b"swagger" in page.data.lower()


def test_unexpected_errors_are_a_500_envelope_without_details(tmp_path):
    app = create_app(make_settings(tmp_path))

    @app.get("/explode")
    def explode():
        raise RuntimeError("secret internal detail")

    resp = app.test_client().get("/explode")
    assert_envelope(resp, 500, "fail")
    assert b"secret internal detail" not in resp.data and b"Traceback" not in resp.data
