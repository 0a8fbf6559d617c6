"""llmops-api.md §6.1-6.2 GitHub sign-in against a local server playing GitHub."""

from urllib.parse import parse_qs, urlsplit

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
