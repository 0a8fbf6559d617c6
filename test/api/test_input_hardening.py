"""No input reaches a 500: NUL characters, unbounded integers, deep JSON and odd token claims
are validation (or authentication) errors on both profiles; unknown body fields are ignored."""

import uuid

import jwt
import pytest

from config import Settings
from internal.handler.endpoint import MAX_JSON_DEPTH
from test.api.apps import ICON, create_app, create_dataset, get_app
from test.api.assertions import assert_validate_error
from test.api.chat import chat_app
from test.api.test_api_tools import create_provider, provider_body

NUL = "\x00"
HUGE = 99999999999999999999


# --- NUL characters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/apps", {"name": f"a{NUL}b", "icon": ICON}, "name"),
        ("/datasets", {"name": f"a{NUL}b", "icon": ICON}, "name"),
        ("/account/name", {"name": f"abc{NUL}"}, "name"),
        ("/openapi/api-keys", {"is_active": True, "remark": f"r{NUL}"}, "remark"),
        ("/ai/optimize-prompt", {"prompt": f"p{NUL}"}, "prompt"),
        ("/api-tools", provider_body(headers=[{"key": "X-A", "value": f"v{NUL}"}]), "headers[0].value"),
        ("/api-tools/validate-openapi-schema", {"openapi_schema": f"{{{NUL}}}"}, "openapi_schema"),
    ],
)
def test_a_nul_in_a_body_string_is_a_validate_error_naming_the_field(client, member, path, body, field):
    assert_validate_error(client.post(path, json=body, headers=member.headers), field)


def test_a_nul_in_prompts_and_parameter_names_of_a_draft_is_refused(client, member):
    app_id = create_app(client, member)
    url = f"/apps/{app_id}/draft-app-config"
    assert_validate_error(client.post(url, json={"preset_prompt": f"p{NUL}"}, headers=member.headers), "preset_prompt")
    model = {"provider": "openai", "model": "gpt-4o-mini", "parameters": {f"t{NUL}": 1}}
    assert_validate_error(client.post(url, json={"model_config": model}, headers=member.headers), "model_config.parameters")


@pytest.mark.parametrize("path", ["/apps", "/datasets", "/api-tools"])
def test_a_nul_in_a_search_word_is_a_validate_error(client, member, path):
    resp = client.get(path, query_string={"search_word": f"x{NUL}y"}, headers=member.headers)
    assert_validate_error(resp, "search_word")


def test_a_nul_in_a_hit_test_query_is_refused(client, member):
    dataset_id = create_dataset(client, member)
    body = {"query": f"what{NUL}", "retrieval_strategy": "full_text", "k": 3, "score": 0}
    assert_validate_error(client.post(f"/datasets/{dataset_id}/hit", json=body, headers=member.headers), "query")


def test_a_nul_in_a_path_parameter_is_refused(client, member):
    dataset_id = create_dataset(client, member)
    resp = client.get(f"/datasets/{dataset_id}/documents/batch/b%00x", headers=member.headers)
    assert_validate_error(resp, "batch")
    assert_validate_error(client.get("/upload-files/a%00b.png"), "key")


def test_a_nul_in_a_chat_query_is_refused_before_anything_streams_or_is_stored(client, member, llm):
    app_id, _ = chat_app(client, member)
    resp = client.post(f"/apps/{app_id}/conversations", json={"query": f"hi{NUL}"}, headers=member.headers)
    assert_validate_error(resp, "query")
    assert llm.chat_requests() == []
    messages = client.get(f"/apps/{app_id}/conversations/messages", headers=member.headers).json["data"]["list"]
    assert messages == []


def test_a_nul_in_an_uploaded_file_name_is_refused(client, member):
    data = {"file": (__import__("io").BytesIO(b"hello"), f"a{NUL}.txt")}
    resp = client.post("/upload-files/file", data=data, headers=member.headers, content_type="multipart/form-data")
    assert_validate_error(resp, "file")


# --- integer bounds -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/apps", "/datasets", "/api-tools", "/openapi/api-keys"])
def test_a_huge_page_number_is_a_validate_error(client, member, path):
    resp = client.get(path, query_string={"current_page": HUGE}, headers=member.headers)
    assert_validate_error(resp, "current_page")


def test_the_largest_page_number_is_an_empty_page(client, member):
    create_app(client, member)
    resp = client.get("/apps", query_string={"current_page": 2**31 - 1, "page_size": 50}, headers=member.headers)
    assert resp.json["code"] == "success" and resp.json["data"]["list"] == []


def test_a_huge_message_cursor_is_a_validate_error(client, member, llm):
    app_id, _ = chat_app(client, member)
    resp = client.get(f"/apps/{app_id}/conversations/messages", query_string={"created_at": HUGE}, headers=member.headers)
    assert_validate_error(resp, "created_at")
    resp = client.get(f"/conversations/{uuid.uuid4()}/messages", query_string={"created_at": HUGE}, headers=member.headers)
    assert_validate_error(resp, "created_at")
    # The largest cursor taken reads every message.
    resp = client.get(
        f"/apps/{app_id}/conversations/messages", query_string={"created_at": 253402300798}, headers=member.headers
    )
    assert resp.json["code"] == "success", resp.json


# --- JSON nesting -------------------------------------------------------------------------------------


def test_deeply_nested_json_is_a_validate_error_even_before_login(client, member):
    body = "[" * 1000 + "]" * 1000
    resp = client.post("/auth/password-login", data=body, content_type="application/json")
    assert_validate_error(resp, "body")
    resp = client.post("/apps", data=body, content_type="application/json", headers=member.headers)
    assert_validate_error(resp, "body")


def test_nesting_inside_a_field_is_bounded_too(client, member):
    app_id = create_app(client, member)
    deep = {}
    for _ in range(MAX_JSON_DEPTH):
        deep = {"a": deep}
    model = {"provider": "openai", "model": "gpt-4o-mini", "parameters": deep}
    resp = client.post(f"/apps/{app_id}/draft-app-config", json={"model_config": model}, headers=member.headers)
    assert_validate_error(resp, "body")


# --- tokens -----------------------------------------------------------------------------------------------


def _signed(app, **claims) -> dict:
    secret = app.extensions["injector"].get(Settings).jwt_secret_key
    token = jwt.encode({"iss": "llmops", "jti": uuid.uuid4().hex, **claims}, secret, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


def test_a_signed_token_with_a_non_numeric_exp_is_unauthorized(app, client, member):
    for exp in ("9999999999", "soon", True):
        resp = client.get("/account", headers=_signed(app, sub=str(member.id), exp=exp))
        assert resp.status_code == 401 and resp.json["code"] == "unauthorized", (exp, resp.json)


def test_logout_of_a_signed_token_with_a_far_exp_is_a_success(app, client, member):
    headers = _signed(app, sub=str(member.id), exp=10**30)
    assert client.post("/auth/logout", headers=headers).json["code"] == "success"
    assert client.get("/account", headers=headers).status_code == 401


def test_a_nul_in_a_bearer_token_is_unauthorized(client):
    resp = client.get("/account", headers={"Authorization": f"Bearer abc{NUL}def"})
    assert resp.status_code == 401 and resp.json["code"] == "unauthorized"


# --- unknown fields are ignored ---------------------------------------------------------------------------


FILE_LIST = [{"uid": "rc-upload-1", "name": "icon.png", "status": "done", "url": ICON}]


def test_apps_are_created_and_updated_with_a_file_list(client, member):
    body = {"name": "带图标的应用", "icon": ICON, "description": "d", "fileList": FILE_LIST, "status": "published"}
    resp = client.post("/apps", json=body, headers=member.headers)
    assert resp.json["code"] == "success", resp.json
    app_id = resp.json["data"]["id"]
    assert get_app(client, member, app_id)["status"] == "draft"  # an unknown field sets nothing
    resp = client.post(f"/apps/{app_id}", json={**body, "name": "改名的应用"}, headers=member.headers)
    assert resp.json["code"] == "success", resp.json
    assert get_app(client, member, app_id)["name"] == "改名的应用"
    # Documented fields keep their validation.
    assert_validate_error(client.post("/apps", json={**body, "icon": "not a url"}, headers=member.headers), "icon")


def test_api_tools_are_created_with_a_file_list(client, member):
    provider_id = create_provider(client, member, "带文件列表的插件", fileList=FILE_LIST)
    assert client.get(f"/api-tools/{provider_id}", headers=member.headers).json["data"]["name"] == "带文件列表的插件"
    body = provider_body("另一个插件", fileList=FILE_LIST, headers=[{"key": "Bad Header", "value": "x"}])
    assert_validate_error(client.post("/api-tools", json=body, headers=member.headers), "headers[0].key")
