"""llmops-api.md §6.1-6.2 GitHub sign-in against a local server playing GitHub."""

import time
import uuid
from urllib.parse import parse_qs, urlsplit

import jwt

from config import Settings
from test.fakes.github import GithubUser


def test_redirect_url_points_at_github_authorize_with_client_and_scope(client, fake_github):
    resp = client.get("/oauth/github")
    assert resp.json["code"] == "success"
    url = urlsplit(resp.json["data"]["redirect_url"])
    assert f"{url.scheme}://{url.netloc}" == fake_github.url and url.path == "/login/oauth/authorize"
    query = parse_qs(url.query)
    assert query["client_id"] == ["test-client-id"]
    assert query["redirect_uri"] == ["http://localhost:5173/oauth/authorize/github"]
    assert query["scope"] == ["user:email"]
    assert query["state"][0]


def test_unknown_provider_is_not_found(client):
    for resp in (client.get("/oauth/gitlab"), client.post("/oauth/authorize/gitlab", json={"code": "x"})):
        assert resp.status_code == 404 and resp.json["code"] == "not_found"


def _authorize(client, fake_github, user):
    return client.post("/oauth/authorize/github", json={"code": fake_github.issue_code(user)})


def test_first_sign_in_creates_the_account_and_later_ones_reuse_it(client, fake_github):
    user = GithubUser(id=9001, login="octo", name="Octo Cat", email="Octo.Cat@Example.com")
    first = _authorize(client, fake_github, user)
    assert first.json["code"] == "success", first.json
    headers = {"Authorization": f"Bearer {first.json['data']['access_token']}"}
    account = client.get("/account", headers=headers).json["data"]
    assert account["email"] == "octo.cat@example.com"
    assert account["name"] == "Octo Cat" and account["avatar"] == user.avatar_url
    assert account["last_login_ip"] == "127.0.0.1" and account["last_login_at"] > 0

    # The code exchange sent the app's credentials and the code, asking for JSON.
    exchange = [r for r in fake_github.requests if r.path == "/login/oauth/access_token"][-1]
    assert exchange.form()["client_secret"] == "test-client-secret"
    assert exchange.headers["accept"] == "application/json"

    user.email = "changed@example.com"  # the link is by GitHub id, not by email
    again = _authorize(client, fake_github, user)
    headers = {"Authorization": f"Bearer {again.json['data']['access_token']}"}
    assert client.get("/account", headers=headers).json["data"]["id"] == account["id"]


def test_private_email_is_read_from_the_emails_endpoint(client, fake_github):
    user = GithubUser(
        id=9002,
        login="hidden",
        name=None,
        email=None,
        emails=[
            {"email": "unverified@example.com", "primary": False, "verified": False},
            {"email": "primary@example.com", "primary": True, "verified": True},
        ],
    )
    resp = _authorize(client, fake_github, user)
    headers = {"Authorization": f"Bearer {resp.json['data']['access_token']}"}
    account = client.get("/account", headers=headers).json["data"]
    assert account["email"] == "primary@example.com" and account["name"] == "hidden"


def test_github_sign_in_links_to_an_existing_password_account(client, fake_github, member):
    user = GithubUser(id=9003, login="member", name="Member", email=member.email)
    resp = _authorize(client, fake_github, user)
    headers = {"Authorization": f"Bearer {resp.json['data']['access_token']}"}
    assert client.get("/account", headers=headers).json["data"]["id"] == str(member.id)


def test_bad_or_reused_code_fails_without_creating_anything(client, fake_github):
    user = GithubUser(id=9004, login="once", name="Once", email="once@example.com")
    code = fake_github.issue_code(user)
    assert client.post("/oauth/authorize/github", json={"code": code}).json["code"] == "success"
    reused = client.post("/oauth/authorize/github", json={"code": code})
    assert reused.status_code == 400 and reused.json["code"] == "fail"
    assert client.post("/oauth/authorize/github", json={"code": "made-up"}).json["code"] == "fail"


def test_account_without_verified_email_is_refused(client, fake_github):
    user = GithubUser(id=9005, login="noemail", name="x", email=None, emails=[{"email": "a@b.c", "primary": True, "verified": False}])
    assert _authorize(client, fake_github, user).json["code"] == "fail"


def test_code_is_required(client):
    for body in ({}, {"code": ""}, {"code": 123}):
        resp = client.post("/oauth/authorize/github", json=body)
        assert resp.json["code"] == "validate_error" and resp.json["message"].startswith("code:")


def _state_from_redirect(client) -> str:
    url = urlsplit(client.get("/oauth/github").json["data"]["redirect_url"])
    return parse_qs(url.query)["state"][0]


def _authorize_with_state(client, fake_github, user, state):
    return client.post("/oauth/authorize/github", json={"code": fake_github.issue_code(user), "state": state})


def _assert_invalid_state(resp):
    assert resp.status_code == 400 and resp.json["code"] == "validate_error", resp.json
    assert resp.json["data"] == {} and resp.json["message"].startswith("state:")


def test_redirect_url_carries_a_signed_state_that_the_callback_may_bring_back_once(client, fake_github):
    first, second = _state_from_redirect(client), _state_from_redirect(client)
    assert first != second  # one per sign-in

    user = GithubUser(id=9101, login="stately", name="State", email="stately@example.com")
    resp = _authorize_with_state(client, fake_github, user, first)
    assert resp.json["code"] == "success", resp.json

    # The same state again (a replayed callback) is refused, before the code is even used.
    code = fake_github.issue_code(user)
    _assert_invalid_state(client.post("/oauth/authorize/github", json={"code": code, "state": first}))
    assert code in fake_github.codes
    assert _authorize_with_state(client, fake_github, user, second).json["code"] == "success"


def test_forged_tampered_or_expired_state_is_refused(app, client, fake_github):
    settings = app.extensions["injector"].get(Settings)
    user = GithubUser(id=9102, login="forger", name="Forger", email="forger@example.com")
    now = int(time.time())
    good = {"iss": "llmops", "aud": "oauth-state:github", "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex}
    header, payload, signature = _state_from_redirect(client).split(".")
    states = [
        "not-a-state",
        f"{header}.{payload}.{signature[:-2]}xx",  # tampered signature
        jwt.encode(good, "another-key-" * 4, algorithm="HS256"),  # not signed by this API
        jwt.encode({**good, "exp": now - 5}, settings.jwt_secret_key, algorithm="HS256"),  # expired
        jwt.encode({**good, "aud": "oauth-state:gitlab"}, settings.jwt_secret_key, algorithm="HS256"),  # other provider
        # an access token is signed with the same key but is no state
        jwt.encode({"sub": str(uuid.uuid4()), "iss": "llmops", "exp": now + 60, "jti": "a"}, settings.jwt_secret_key, algorithm="HS256"),
        "x" * 1025,
    ]
    for state in states:
        _assert_invalid_state(_authorize_with_state(client, fake_github, user, state))
    assert _authorize_with_state(client, fake_github, user, "").json["code"] == "success"  # state is optional by default


def test_require_state_refuses_a_callback_without_one(app, client, fake_github, monkeypatch):
    monkeypatch.setattr(app.extensions["injector"].get(Settings).oauth, "oauth_require_state", True)
    user = GithubUser(id=9103, login="strict", name="Strict", email="strict@example.com")
    for body in ({"code": fake_github.issue_code(user)}, {"code": fake_github.issue_code(user), "state": ""}):
        _assert_invalid_state(client.post("/oauth/authorize/github", json=body))
    assert _authorize_with_state(client, fake_github, user, _state_from_redirect(client)).json["code"] == "success"


def test_an_unverified_email_reaches_no_existing_account(client, fake_github, member):
    """Anyone can put any address on a GitHub profile: only one GitHub verified links to the account."""
    user = GithubUser(
        id=9104,
        login="impostor",
        name="Impostor",
        email=member.email,
        emails=[{"email": member.email, "primary": True, "verified": False, "visibility": "public"}],
    )
    resp = _authorize(client, fake_github, user)
    assert resp.status_code == 400 and resp.json["code"] == "fail"

    # Verified later, the same identity links to the account.
    user.emails = [{"email": member.email, "primary": True, "verified": True, "visibility": "public"}]
    resp = _authorize(client, fake_github, user)
    headers = {"Authorization": f"Bearer {resp.json['data']['access_token']}"}
    assert client.get("/account", headers=headers).json["data"]["id"] == str(member.id)


def test_an_unverified_public_email_gives_way_to_a_verified_one(client, fake_github, member):
    user = GithubUser(
        id=9105,
        login="two-emails",
        name="Two",
        email=member.email,
        emails=[
            {"email": member.email, "primary": False, "verified": False, "visibility": "public"},
            {"email": "two-emails@example.com", "primary": True, "verified": True, "visibility": None},
        ],
    )
    resp = _authorize(client, fake_github, user)
    headers = {"Authorization": f"Bearer {resp.json['data']['access_token']}"}
    account = client.get("/account", headers=headers).json["data"]
    assert account["email"] == "two-emails@example.com" and account["id"] != str(member.id)
