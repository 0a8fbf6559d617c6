"""llmops-api.md §7 account: read it, change password, name and avatar."""

import pytest

from test.conftest import PASSWORD


def test_get_account_returns_every_documented_field(client, member):
    resp = client.get("/account", headers=member.headers)
    assert resp.status_code == 200 and resp.json["code"] == "success" and resp.json["message"] == ""
    data = resp.json["data"]
    assert set(data) == {"id", "name", "email", "avatar", "last_login_at", "last_login_ip", "created_at"}
    assert data["id"] == str(member.id) and data["email"] == member.email and data["name"] == "Member"
    assert isinstance(data["created_at"], int) and isinstance(data["last_login_at"], int)
    assert "password" not in str(data).lower()


def test_change_password_then_sign_in_with_the_new_one_only(client, member):
    resp = client.post("/account/password", json={"password": "newpass99"}, headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "修改当前登录账号密码成功"}
    old = client.post("/auth/password-login", json={"email": member.email, "password": PASSWORD})
    new = client.post("/auth/password-login", json={"email": member.email, "password": "newpass99"})
    assert old.json["code"] == "fail" and new.json["code"] == "success"


def test_changing_the_password_signs_out_every_other_session(client, member):
    def sign_in(password):
        return client.post("/auth/password-login", json={"email": member.email, "password": password}).json["data"]["access_token"]

    def status(token):
        return client.get("/account", headers={"Authorization": f"Bearer {token}"}).status_code

    other_session = sign_in(PASSWORD)
    assert status(other_session) == 200

    resp = client.post("/account/password", json={"password": "newpass99"}, headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "修改当前登录账号密码成功"}

    refused = client.get("/account", headers={"Authorization": f"Bearer {other_session}"})
    assert refused.status_code == 401 and refused.json["code"] == "unauthorized"
    assert status(member.token) == 200  # the session that made the change stays signed in

    # A session started with the new password works, and a second change ends the kept one too.
    new_session = sign_in("newpass99")
    assert status(new_session) == 200
    resp = client.post("/account/password", json={"password": "newpass100"}, headers={"Authorization": f"Bearer {new_session}"})
    assert resp.json["code"] == "success"
    assert status(new_session) == 200
    assert status(member.token) == 401 and status(other_session) == 401


@pytest.mark.parametrize("password", ["short1", "abcdefghijklmnop1", "onlyletters", "12345678", "", None, 12345678])
def test_invalid_new_password_is_rejected_and_nothing_changes(client, member, password):
    resp = client.post("/account/password", json={"password": password}, headers=member.headers)
    assert resp.status_code == 400 and resp.json["code"] == "validate_error"
    assert resp.json["message"].startswith("password:")
    assert client.post("/auth/password-login", json={"email": member.email, "password": PASSWORD}).json["code"] == "success"


def test_change_name(client, member):
    resp = client.post("/account/name", json={"name": "泽辉呀"}, headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "修改账号名称成功"}
    assert client.get("/account", headers=member.headers).json["data"]["name"] == "泽辉呀"


@pytest.mark.parametrize("name", ["ab", "x" * 31, "", "  a  ", None, 123])
def test_name_must_have_3_to_30_characters(client, member, name):
    resp = client.post("/account/name", json={"name": name}, headers=member.headers)
    assert resp.json["code"] == "validate_error" and resp.json["message"].startswith("name:")
    assert client.get("/account", headers=member.headers).json["data"]["name"] == "Member"


def test_name_boundaries_are_accepted(client, member):
    for name in ("abc", "y" * 30):
        assert client.post("/account/name", json={"name": name}, headers=member.headers).json["code"] == "success"


def test_change_avatar(client, member):
    url = "https://cdn.example.com/2024/05/14/avatar.png"
    resp = client.post("/account/avatar", json={"avatar": url}, headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "修改账号头像成功"}
    assert client.get("/account", headers=member.headers).json["data"]["avatar"] == url


@pytest.mark.parametrize("avatar", ["not a url", "ftp://cdn.example.com/a.png", "javascript:alert(1)", "", None, "https://"])
def test_avatar_must_be_an_http_url(client, member, avatar):
    resp = client.post("/account/avatar", json={"avatar": avatar}, headers=member.headers)
    assert resp.json["code"] == "validate_error" and resp.json["message"].startswith("avatar:")


@pytest.mark.parametrize(
    ("path", "body"),
    [("/account/password", {"password": "newpass99"}), ("/account/name", {"name": "Intruder"}), ("/account/avatar", {"avatar": "https://x.io/a.png"})],
)
def test_account_changes_require_a_token(client, path, body):
    resp = client.post(path, json=body)
    assert resp.status_code == 401 and resp.json["code"] == "unauthorized"


def test_changes_touch_only_the_caller(client, member, other_member):
    client.post("/account/name", json={"name": "Renamed"}, headers=member.headers)
    assert client.get("/account", headers=other_member.headers).json["data"]["name"] == "Other"
