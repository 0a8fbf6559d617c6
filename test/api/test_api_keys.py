"""llmops-api.md §9.1-9.5 API keys, and the API-key authentication of open API routes: keys
kept hashed and encrypted at rest, one query per request, a short cache, last_used_at."""

import hashlib
import hmac
import re
import time

import pytest
from flask import g
from sqlalchemy import text

from config import Settings
from config.settings import OpenApiSettings
from internal.exception import UnauthorizedException
from internal.extension.database import db
from internal.middleware import AuthKind, AuthMiddleware
from internal.server import create_app
from pkg.paginator import PageReq
from test.statements import statements_in_this_thread
from pkg.secret_box import SecretBox, SecretBoxError, derive_key

KEY_FORMAT = re.compile(r"^llmops-v1/[A-Za-z0-9]{48}$")


def create_key(client, member, is_active=True, remark=""):
    resp = client.post("/openapi/api-keys", json={"is_active": is_active, "remark": remark}, headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "创建API秘钥成功"}


def list_keys(client, member, **params):
    resp = client.get("/openapi/api-keys", query_string=params, headers=member.headers)
    assert resp.status_code == 200, resp.json
    return resp.json["data"]


def test_create_then_list_shows_the_key_in_the_documented_shape(client, member):
    create_key(client, member, remark="慕课网LLMOps项目API秘钥信息")
    data = list_keys(client, member)
    assert data["paginator"] == {"current_page": 1, "page_size": 20, "total_page": 1, "total_record": 1}
    (item,) = data["list"]
    assert set(item) == {"id", "api_key", "is_active", "remark", "last_used_at", "updated_at", "created_at"}
    assert KEY_FORMAT.match(item["api_key"]) and item["is_active"] is True
    assert item["remark"] == "慕课网LLMOps项目API秘钥信息" and isinstance(item["created_at"], int)


def test_keys_are_unique_and_random(client, member):
    for _ in range(5):
        create_key(client, member)
    keys = [item["api_key"] for item in list_keys(client, member)["list"]]
    assert len(set(keys)) == 5 and all(KEY_FORMAT.match(k) for k in keys)


def test_pagination_newest_first(client, member):
    for n in range(5):
        create_key(client, member, remark=f"key {n}")
    first = list_keys(client, member, current_page=1, page_size=2)
    assert first["paginator"] == {"current_page": 1, "page_size": 2, "total_page": 3, "total_record": 5}
    assert [i["remark"] for i in first["list"]] == ["key 4", "key 3"]
    last = list_keys(client, member, current_page=3, page_size=2)
    assert [i["remark"] for i in last["list"]] == ["key 0"]
    beyond = list_keys(client, member, current_page=9, page_size=2)
    assert beyond["list"] == [] and beyond["paginator"]["total_record"] == 5


@pytest.mark.parametrize(
    ("params", "field"),
    [({"current_page": 0}, "current_page"), ({"page_size": 0}, "page_size"), ({"page_size": 51}, "page_size"), ({"current_page": "x"}, "current_page")],
)
def test_out_of_range_paging_is_a_validate_error(client, member, params, field):
    resp = client.get("/openapi/api-keys", query_string=params, headers=member.headers)
    assert resp.status_code == 400 and resp.json["code"] == "validate_error"
    assert resp.json["message"].startswith(f"{field}:")


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "is_active"), ({"is_active": "maybe"}, "is_active"), ({"is_active": True, "remark": "x" * 101}, "remark"), ({"is_active": True, "remark": 5}, "remark")],
)
def test_create_constraints(client, member, body, field):
    resp = client.post("/openapi/api-keys", json=body, headers=member.headers)
    assert resp.json["code"] == "validate_error" and resp.json["message"].startswith(f"{field}:")
    assert list_keys(client, member)["list"] == []


def test_update_and_toggle(client, member):
    create_key(client, member, is_active=True, remark="before")
    key_id = list_keys(client, member)["list"][0]["id"]

    resp = client.post(f"/openapi/api-keys/{key_id}", json={"is_active": False, "remark": "after"}, headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "修改API秘钥成功"}
    item = list_keys(client, member)["list"][0]
    assert item["is_active"] is False and item["remark"] == "after"

    resp = client.post(f"/openapi/api-keys/{key_id}/is-active", json={"is_active": True}, headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "修改API秘钥状态成功"}
    item = list_keys(client, member)["list"][0]
    assert item["is_active"] is True and item["remark"] == "after"


def test_delete(client, member):
    create_key(client, member)
    key_id = list_keys(client, member)["list"][0]["id"]
    resp = client.post(f"/openapi/api-keys/{key_id}/delete", headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "删除API秘钥成功"}
    assert list_keys(client, member)["list"] == []
    again = client.post(f"/openapi/api-keys/{key_id}/delete", headers=member.headers)
    assert again.status_code == 404 and again.json["code"] == "not_found"


def test_another_accounts_key_is_invisible_and_untouchable(client, member, other_member):
    create_key(client, member, remark="mine")
    key = list_keys(client, member)["list"][0]
    assert list_keys(client, other_member)["list"] == []
    for path, body in (
        (f"/openapi/api-keys/{key['id']}", {"is_active": False, "remark": "stolen"}),
        (f"/openapi/api-keys/{key['id']}/is-active", {"is_active": False}),
        (f"/openapi/api-keys/{key['id']}/delete", None),
    ):
        resp = client.post(path, json=body, headers=other_member.headers)
        assert resp.status_code == 404 and resp.json["code"] == "not_found"
    assert list_keys(client, member)["list"][0] == key


def test_malformed_key_id_is_not_found(client, member):
    resp = client.post("/openapi/api-keys/not-a-uuid/delete", headers=member.headers)
    assert resp.status_code == 404 and resp.json["code"] == "not_found"


def test_api_key_routes_require_a_token(client):
    assert client.get("/openapi/api-keys").status_code == 401
    assert client.post("/openapi/api-keys", json={"is_active": True}).status_code == 401


# The API-key credential, as an open API route (llmops-api.md §9.6) declares it.


def _authenticate_with_api_key(app, header):
    """The account an open API route (declared with AuthKind.API_KEY) would serve."""
    middleware = app.extensions["injector"].get(AuthMiddleware)
    headers = {"Authorization": header} if header else {}
    with app.test_request_context("/openapi/chat", method="POST", headers=headers):
        middleware.authenticate(AuthKind.API_KEY)
        return g.account.id


def _key_of(app, member, client):
    return list_keys(client, member)["list"][0]


def test_active_key_authenticates_its_owner(app, client, member):
    create_key(client, member, is_active=True)
    key = _key_of(app, member, client)
    assert _authenticate_with_api_key(app, f"Bearer {key['api_key']}") == member.id


def test_inactive_deleted_unknown_or_missing_keys_are_refused(app, client, member):
    create_key(client, member, is_active=False)
    key = _key_of(app, member, client)
    with pytest.raises(UnauthorizedException):
        _authenticate_with_api_key(app, f"Bearer {key['api_key']}")

    client.post(f"/openapi/api-keys/{key['id']}/is-active", json={"is_active": True}, headers=member.headers)
    assert _authenticate_with_api_key(app, f"Bearer {key['api_key']}") == member.id
    client.post(f"/openapi/api-keys/{key['id']}/delete", headers=member.headers)
    for header in (f"Bearer {key['api_key']}", "Bearer llmops-v1/" + "x" * 48, None, f"Basic {key['api_key']}"):
        with pytest.raises(UnauthorizedException):
            _authenticate_with_api_key(app, header)


def test_an_access_token_is_not_an_api_key(app, member):
    with pytest.raises(UnauthorizedException):
        _authenticate_with_api_key(app, f"Bearer {member.token}")


def test_page_request_defaults():
    assert PageReq().current_page == 1 and PageReq().page_size == 20


# Keys at rest, the lookup and its cache, last_used_at.


def _rows(app) -> list[dict]:
    """Every api_key row as a database dump would show it."""
    with app.app_context():
        return [dict(row) for row in db.session.execute(text("SELECT * FROM api_key")).mappings()]


def test_a_database_dump_yields_no_working_key(app, client, member):
    create_key(client, member)
    key = _key_of(app, member, client)
    secret_part = key["api_key"].removeprefix("llmops-v1/")
    (row,) = [r for r in _rows(app) if str(r["id"]).replace("-", "") == key["id"].replace("-", "")]
    assert "api_key" not in row
    assert not any(secret_part in str(value) for value in row.values())
    settings = app.extensions["injector"].get(Settings)
    assert row["key_hash"] == hmac.new(settings.api_key_hash_key, key["api_key"].encode(), hashlib.sha256).hexdigest()
    assert app.extensions["injector"].get(SecretBox).decrypt(row["encrypted_key"]) == key["api_key"]
    with pytest.raises(SecretBoxError):  # the ciphertext is useless without the server's secret
        SecretBox(derive_key("another deployment's data secret key", "llmops/secret-box/v1")).decrypt(row["encrypted_key"])


def test_an_api_key_request_costs_one_query_cached_or_not(app, client, member):
    create_key(client, member)
    header = f"Bearer {_key_of(app, member, client)['api_key']}"
    # Cache miss: the key and its account in one query; then cached: the account only.
    assert statements_in_this_thread(app, lambda: _authenticate_with_api_key(app, header))[1] == 1
    assert statements_in_this_thread(app, lambda: _authenticate_with_api_key(app, header))[1] == 1


def test_last_used_at_is_recorded_and_leaves_updated_at(app, client, member):
    create_key(client, member)
    before = _key_of(app, member, client)
    assert before["last_used_at"] == 0
    started = int(time.time())
    _authenticate_with_api_key(app, f"Bearer {before['api_key']}")
    deadline = time.monotonic() + 10
    while (after := _key_of(app, member, client))["last_used_at"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started <= after["last_used_at"] <= int(time.time())
    assert after["updated_at"] == before["updated_at"]


def test_another_process_sees_a_switched_off_key_within_its_cache_ttl(app, client, member):
    """A second application on the same database stands for another API process."""
    settings = app.extensions["injector"].get(Settings)
    other = create_app(settings.model_copy(update={"open_api": OpenApiSettings(_env_file=None, api_key_cache_ttl=0.5)}))
    create_key(client, member)
    key = _key_of(app, member, client)
    header = f"Bearer {key['api_key']}"
    assert _authenticate_with_api_key(other, header) == member.id  # now cached in the other process
    client.post(f"/openapi/api-keys/{key['id']}/is-active", json={"is_active": False}, headers=member.headers)
    with pytest.raises(UnauthorizedException):  # the process that made the change knows at once
        _authenticate_with_api_key(app, header)

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            _authenticate_with_api_key(other, header)
        except UnauthorizedException:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the other process kept accepting a switched-off key")
