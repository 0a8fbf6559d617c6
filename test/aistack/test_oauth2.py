"""AI Stack OAuth2 (v2.1): the platform as authorization server, through HTTP on every system —
client registration, consent, the code exchange with PKCE, tokens limited to their scopes,
refresh with rotation, revocation and expiry, ownership, and a standard client (Authlib's)."""

import base64
import hashlib
import random
import secrets
import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from sqlalchemy import select, update
from werkzeug.serving import make_server

from internal.aistack.auth.oauth2.models import OAuth2AuthorizationCode, OAuth2Token
from internal.aistack.auth.oauth2.store import OAuth2Store
from internal.aistack.auth.oauth2.tasks import purge_oauth2_grants
from internal.extension.database import db, utcnow
from test.conftest import create_member

from .client import AIStackClient, address, assert_error, data_of, issue_token

REDIRECT = "https://client.example.com/callback"
OTHER_REDIRECT = "https://client.example.com/other"


@pytest.fixture
def http(app):
    """A test client from an address of its own: the public OAuth2 routes count requests per
    address, so each test starts with a full budget."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    return client


def _signed_in(app, http, via: str = "prefix") -> AIStackClient:
    member = create_member(app, http, name="OAuth")
    stack = AIStackClient(http, issue_token(http, member.email, member.password), via)
    stack.member = member
    return stack


@pytest.fixture
def owner(app, http) -> AIStackClient:
    return _signed_in(app, http)


@pytest.fixture
def stranger(app, http) -> AIStackClient:
    return _signed_in(app, http)


def register(stack: AIStackClient, method: str = "client_secret_basic", scope: str = "rag", system: str = "rag") -> dict:
    body = {"client_name": "Demo", "redirect_uris": [REDIRECT, OTHER_REDIRECT], "scope": scope, "token_endpoint_auth_method": method}
    return data_of(stack.post(system, "/api/oauth2/clients", json=body), 201)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(client: dict, challenge: str | None, scope: str = "rag", redirect_uri: str = REDIRECT) -> dict:
    params = {"response_type": "code", "client_id": client["client_id"], "redirect_uri": redirect_uri, "scope": scope, "state": "st-42"}
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return params


def approve(stack: AIStackClient, params: dict, system: str = "rag", approve: bool = True) -> str:
    """The consent screen's answer: where the user agent is sent."""
    return data_of(stack.post(system, "/api/oauth2/authorize", query_string=params, json={"approve": approve}))["redirect_to"]


def code_of(redirect_to: str) -> str:
    query = parse_qs(urlsplit(redirect_to).query)
    assert query["state"] == ["st-42"]
    return query["code"][0]


def client_auth(client: dict) -> dict:
    """How a client authenticates at the token endpoint: HTTP Basic, or its client_id alone."""
    if client["client_secret"] is None:
        return {"data": {"client_id": client["client_id"]}, "headers": {}}
    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
    return {"data": {}, "headers": {"Authorization": f"Basic {basic}"}}


def token_request(stack: AIStackClient, client: dict, form: dict, system: str = "rag", path: str = "/api/oauth2/token"):
    auth = client_auth(client)
    base_url, url = address(system, path, stack.via)
    return stack.client.post(url, base_url=base_url, data=auth["data"] | form, headers=auth["headers"])


def exchange(stack: AIStackClient, client: dict, code: str, verifier: str | None, redirect_uri: str = REDIRECT, system: str = "rag"):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier:
        form["code_verifier"] = verifier
    return token_request(stack, client, form, system)


def granted(stack: AIStackClient, client: dict, scope: str = "rag") -> dict:
    verifier, challenge = pkce()
    resp = exchange(stack, client, code_of(approve(stack, authorize_params(client, challenge, scope))), verifier)
    assert resp.status_code == 200, resp.json
    return resp.json


def bearer(stack: AIStackClient, token: str) -> AIStackClient:
    return AIStackClient(stack.client, token, stack.via)


def rfc_error(resp, status: int, error: str) -> None:
    """An RFC 6749 error body, not the envelope."""
    assert resp.status_code == status, resp.json
    assert resp.json["error"] == error and "status" not in resp.json, resp.json


@pytest.mark.parametrize("via", ["prefix", "port"])
def test_authorization_code_flow_with_pkce_refresh_and_revocation(app, http, via):
    stack = _signed_in(app, http, via)
    client = register(stack, scope="rag chat")
    assert client["client_secret"] and client["token_endpoint_auth_method"] == "client_secret_basic"
    verifier, challenge = pkce()
    params = authorize_params(client, challenge, scope="rag")

    consent = data_of(stack.get("rag", "/api/oauth2/authorize", query_string=params))
    assert consent["client_id"] == client["client_id"] and consent["client_name"] == "Demo"
    assert consent["scopes"] == [{"scope": "rag", "title": "RAG知识检索系统"}]
    assert consent["redirect_uri"] == REDIRECT and consent["state"] == "st-42"

    redirect_to = approve(stack, params)
    assert redirect_to.startswith(REDIRECT + "?")
    resp = exchange(stack, client, code_of(redirect_to), verifier)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    token = resp.json
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600 and token["scope"] == "rag"
    assert token["access_token"] and token["refresh_token"]

    # The token calls the systems of its scope, as the account that approved it.
    caller = bearer(stack, token["access_token"])
    assert [c["client_id"] for c in data_of(caller.get("rag", "/api/oauth2/clients"))] == [client["client_id"]]
    error = assert_error(caller.get("erp", "/api/oauth2/clients"), 403, "UNAUTHORIZED")
    assert "erp" in error["message"]

    # Refresh rotates: a new pair; the old refresh token and its access token stop working.
    refreshed = token_request(stack, client, {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.json
    fresh = refreshed.json
    assert fresh["refresh_token"] != token["refresh_token"] and fresh["scope"] == "rag"
    assert_error(caller.get("rag", "/api/oauth2/clients"), 401, "UNAUTHORIZED")
    data_of(bearer(stack, fresh["access_token"]).get("rag", "/api/oauth2/clients"))

    # Revocation (RFC 7009): the refresh token takes its access token with it.
    revoked = token_request(stack, client, {"token": fresh["refresh_token"], "token_type_hint": "refresh_token"}, path="/api/oauth2/revoke")
    assert revoked.status_code == 200 and revoked.json == {}
    assert_error(bearer(stack, fresh["access_token"]).get("rag", "/api/oauth2/clients"), 401, "UNAUTHORIZED")
    again = token_request(stack, client, {"grant_type": "refresh_token", "refresh_token": fresh["refresh_token"]})
    rfc_error(again, 400, "invalid_grant")


def test_public_client_must_use_pkce_with_s256(owner):
    client = register(owner, method="none")
    assert client["client_secret"] is None and client["token_endpoint_auth_method"] == "none"

    missing = owner.get("rag", "/api/oauth2/authorize", query_string=authorize_params(client, None))
    assert_error(missing, 400, "INVALID_INPUT", "code_challenge")
    verifier, challenge = pkce()
    plain = authorize_params(client, challenge) | {"code_challenge_method": "plain"}
    assert_error(owner.get("rag", "/api/oauth2/authorize", query_string=plain), 400, "INVALID_INPUT", "code_challenge_method")

    code = code_of(approve(owner, authorize_params(client, challenge)))
    rfc_error(exchange(owner, client, code, None), 400, "invalid_request")
    rfc_error(exchange(owner, client, code, pkce()[0]), 400, "invalid_grant")
    resp = exchange(owner, client, code, verifier)
    assert resp.status_code == 200, resp.json
    data_of(bearer(owner, resp.json["access_token"]).get("rag", "/api/oauth2/clients"))


def test_a_code_is_single_use_and_its_replay_revokes_what_it_gave(owner):
    client = register(owner)
    verifier, challenge = pkce()
    code = code_of(approve(owner, authorize_params(client, challenge)))
    first = exchange(owner, client, code, verifier)
    assert first.status_code == 200, first.json
    rfc_error(exchange(owner, client, code, verifier), 400, "invalid_grant")
    # Someone else held a copy of the code: the tokens issued for it are revoked (RFC 6749 §4.1.2).
    assert_error(bearer(owner, first.json["access_token"]).get("rag", "/api/oauth2/clients"), 401, "UNAUTHORIZED")


def test_the_exchange_needs_the_redirect_uri_of_the_request_and_an_unexpired_code(app, owner):
    client = register(owner)
    verifier, challenge = pkce()
    code = code_of(approve(owner, authorize_params(client, challenge)))
    rfc_error(exchange(owner, client, code, verifier, redirect_uri=OTHER_REDIRECT), 400, "invalid_grant")

    code = code_of(approve(owner, authorize_params(client, challenge)))
    with app.app_context():
        digest = app.extensions["injector"].get(OAuth2Store).digest(code)
        db.session.execute(
            update(OAuth2AuthorizationCode)
            .where(OAuth2AuthorizationCode.code_hash == digest)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    rfc_error(exchange(owner, client, code, verifier), 400, "invalid_grant")


def test_authorization_request_errors_are_envelope_errors_never_redirects(owner):
    client = register(owner)
    _, challenge = pkce()
    unknown = authorize_params(client, challenge) | {"client_id": "no-such-client"}
    assert_error(owner.get("rag", "/api/oauth2/authorize", query_string=unknown), 400, "INVALID_INPUT", "client_id")
    elsewhere = authorize_params(client, challenge, redirect_uri="https://attacker.example.net/cb")
    for resp in (
        owner.get("rag", "/api/oauth2/authorize", query_string=elsewhere),
        owner.post("rag", "/api/oauth2/authorize", query_string=elsewhere, json={"approve": True}),
    ):
        assert_error(resp, 400, "INVALID_INPUT", "redirect_uri")
    unregistered_scope = authorize_params(client, challenge, scope="rag erp")
    assert_error(owner.get("rag", "/api/oauth2/authorize", query_string=unregistered_scope), 400, "INVALID_INPUT", "scope")
    # Once the client and its redirect_uri are verified, the answer to a bad request goes back to it.
    assert parse_qs(urlsplit(approve(owner, unregistered_scope)).query)["error"] == ["invalid_scope"]
    assert_error(owner.post("rag", "/api/oauth2/authorize", query_string=authorize_params(client, challenge), json={}), 400, "INVALID_INPUT", "approve")


def test_denied_consent_sends_access_denied_to_the_client(owner):
    client = register(owner)
    redirect_to = approve(owner, authorize_params(client, pkce()[1]), approve=False)
    assert urlsplit(redirect_to)._replace(query="").geturl() == REDIRECT
    query = parse_qs(urlsplit(redirect_to).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["st-42"] and "code" not in query


def test_the_resource_owner_signs_in_with_an_aistack_or_console_token_only(app, owner):
    client = register(owner)
    params = authorize_params(client, pkce()[1])
    anonymous = AIStackClient(owner.client, None)
    assert_error(anonymous.get("rag", "/api/oauth2/authorize", query_string=params), 401, "UNAUTHORIZED")
    console = AIStackClient(owner.client, owner.member.token)
    assert data_of(console.get("rag", "/api/oauth2/authorize", query_string=params))["client_id"] == client["client_id"]
    # A token a client holds cannot grant another client access to the account.
    token = granted(owner, client)["access_token"]
    assert_error(bearer(owner, token).get("rag", "/api/oauth2/authorize", query_string=params), 401, "UNAUTHORIZED")


def test_revoking_an_access_token_or_its_expiry_refuses_it(app, owner):
    client = register(owner, method="client_secret_post")
    # It registered client_secret_post: HTTP Basic is refused.
    assert token_request(owner, client, {"token": "unknown"}, path="/api/oauth2/revoke").status_code == 401

    def post_auth(form: dict) -> dict:
        return form | {"client_id": client["client_id"], "client_secret": client["client_secret"]}

    verifier, challenge = pkce()
    code = code_of(approve(owner, authorize_params(client, challenge)))
    base_url, url = address("rag", "/api/oauth2/token", owner.via)
    token = owner.client.post(url, base_url=base_url, data=post_auth({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier})).json
    base_url, revoke_url = address("rag", "/api/oauth2/revoke", owner.via)
    resp = owner.client.post(revoke_url, base_url=base_url, data=post_auth({"token": token["access_token"], "token_type_hint": "access_token"}))
    assert resp.status_code == 200, resp.json
    assert_error(bearer(owner, token["access_token"]).get("rag", "/api/oauth2/clients"), 401, "UNAUTHORIZED")
    # Revoking the access token leaves its refresh token: the client gets a new access token.
    refreshed = owner.client.post(url, base_url=base_url, data=post_auth({"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}))
    assert refreshed.status_code == 200, refreshed.json
    access = refreshed.json["access_token"]
    data_of(bearer(owner, access).get("rag", "/api/oauth2/clients"))

    with app.app_context():
        digest = app.extensions["injector"].get(OAuth2Store).digest(access)
        db.session.execute(update(OAuth2Token).where(OAuth2Token.access_token_hash == digest).values(access_expires_at=utcnow()))
        db.session.commit()
    assert_error(bearer(owner, access).get("rag", "/api/oauth2/clients"), 401, "UNAUTHORIZED")


def test_a_replayed_refresh_token_revokes_the_grant(owner):
    client = register(owner, method="none")
    token = granted(owner, client)
    rotated = token_request(owner, client, {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}).json
    rfc_error(token_request(owner, client, {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}), 400, "invalid_grant")
    assert_error(bearer(owner, rotated["access_token"]).get("rag", "/api/oauth2/clients"), 401, "UNAUTHORIZED")


def test_clients_belong_to_their_account_and_deleting_one_ends_its_tokens(owner, stranger):
    client = register(owner)
    token = granted(owner, client)["access_token"]
    assert data_of(stranger.get("rag", "/api/oauth2/clients")) == []
    assert_error(stranger.delete("rag", f"/api/oauth2/clients/{client['client_id']}"), 404, "RESOURCE_NOT_FOUND")
    listed = owner.get("rag", "/api/oauth2/clients", query_string={"page_size": 1})
    assert listed.json["pagination"] == {"page": 1, "page_size": 1, "total_items": 1, "total_pages": 1}
    assert "client_secret" not in listed.json["data"][0]

    assert data_of(owner.delete("rag", f"/api/oauth2/clients/{client['client_id']}")) == {"client_id": client["client_id"], "deleted": True}
    assert_error(bearer(owner, token).get("rag", "/api/oauth2/clients"), 401, "UNAUTHORIZED")
    rfc_error(exchange(owner, client, "whatever", None), 401, "invalid_client")
    assert_error(owner.delete("rag", f"/api/oauth2/clients/{client['client_id']}"), 404, "RESOURCE_NOT_FOUND")


def test_an_oauth2_token_lists_clients_but_cannot_register_or_delete_them(owner):
    client = register(owner)
    delegated = bearer(owner, granted(owner, client)["access_token"])
    body = {"client_name": "More", "redirect_uris": [REDIRECT], "scope": "rag erp"}
    assert_error(delegated.post("rag", "/api/oauth2/clients", json=body), 403, "UNAUTHORIZED")
    assert_error(delegated.delete("rag", f"/api/oauth2/clients/{client['client_id']}"), 403, "UNAUTHORIZED")
    assert len(data_of(delegated.get("rag", "/api/oauth2/clients"))) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "rag nowhere"}, "scope"),
        ({"scope": " "}, "scope"),
        ({"redirect_uris": ["http://client.example.com/cb"]}, "redirect_uris[0]"),
        ({"redirect_uris": ["https://client.example.com/cb#frag"]}, "redirect_uris[0]"),
        ({"redirect_uris": []}, "redirect_uris"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "token_endpoint_auth_method"),
        ({"client_name": "  "}, "client_name"),
    ],
)
def test_registration_is_validated(owner, body, field):
    valid = {"client_name": "Demo", "redirect_uris": [REDIRECT], "scope": "rag"}
    assert_error(owner.post("rag", "/api/oauth2/clients", json=valid | body), 400, "INVALID_INPUT", field)


def test_registration_needs_a_signed_in_caller_and_loopback_http_is_allowed(owner):
    anonymous = AIStackClient(owner.client, None)
    assert_error(anonymous.post("rag", "/api/oauth2/clients", json={}), 401, "UNAUTHORIZED")
    body = {"client_name": "CLI", "redirect_uris": ["http://127.0.0.1:8765/cb", "http://localhost/cb"], "scope": "chat chat"}
    client = data_of(owner.post("chat", "/api/oauth2/clients", json=body), 201)
    assert client["scope"] == "chat" and client["redirect_uris"] == body["redirect_uris"]


def test_the_token_endpoint_answers_browsers_of_any_origin(owner):
    origin = "https://spa.example.org"
    preflight = owner.client.options(
        "/aistack/rag/api/oauth2/token", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    resp = owner.client.post("/aistack/rag/api/oauth2/token", data={"grant_type": "authorization_code"}, headers={"Origin": origin})
    assert resp.headers["Access-Control-Allow-Origin"] == origin and "Access-Control-Allow-Credentials" not in resp.headers
    # Other routes keep the console's origins.
    other = owner.client.get("/aistack/rag/api/oauth2/clients", headers={"Origin": origin})
    assert "Access-Control-Allow-Origin" not in other.headers


@pytest.fixture
def live_server(app):
    """The application on a real socket, for a standard OAuth2 client."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/aistack/rag"
    server.shutdown()
    thread.join()


def test_authlibs_own_client_completes_the_flow(owner, live_server):
    registered = register(owner)
    oauth = OAuth2Client(
        registered["client_id"],
        registered["client_secret"],
        scope="rag",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier = secrets.token_urlsafe(48)
    url, state = oauth.create_authorization_url(f"{live_server}/api/oauth2/authorize", code_verifier=verifier)
    # The console shows the consent screen and posts the user's answer.
    user = {"Authorization": f"Bearer {owner.token}"}
    redirect_to = httpx.post(url, json={"approve": True}, headers=user).json()["data"]["redirect_to"]

    token = oauth.fetch_token(f"{live_server}/api/oauth2/token", authorization_response=redirect_to, state=state, code_verifier=verifier)
    assert token["scope"] == "rag" and token["token_type"] == "Bearer"
    assert oauth.get(f"{live_server}/api/oauth2/clients").json()["data"][0]["client_id"] == registered["client_id"]

    refreshed = oauth.refresh_token(f"{live_server}/api/oauth2/token")
    assert refreshed["access_token"] != token["access_token"]
    assert oauth.get(f"{live_server}/api/oauth2/clients").status_code == 200
    revoked = oauth.revoke_token(f"{live_server}/api/oauth2/revoke", token=refreshed["access_token"], token_type_hint="access_token")
    assert revoked.status_code == 200
    assert oauth.get(f"{live_server}/api/oauth2/clients").status_code == 401


def test_oauth2_refuses_plain_http_to_a_remote_host(owner):
    """RFC 6749 §3.1/§3.2: TLS is required; plain HTTP is only for localhost and loopback."""
    client = register(owner)
    remote = "http://api.example.com"
    params = authorize_params(client, pkce()[1])
    resp = owner.client.get("/aistack/rag/api/oauth2/authorize", base_url=remote, query_string=params, headers={"Authorization": f"Bearer {owner.token}"})
    assert_error(resp, 400, "INVALID_INPUT")
    for path in ("/aistack/rag/api/oauth2/token", "/aistack/rag/api/oauth2/revoke"):
        rfc_error(owner.client.post(path, base_url=remote, data={"grant_type": "authorization_code", "token": "x"}), 400, "insecure_transport")


def test_codes_and_tokens_expired_for_a_day_are_purged_and_nothing_live(app, owner):
    client = register(owner, method="none")
    old, recent, live = granted(owner, client), granted(owner, client), granted(owner, client)
    with app.app_context():
        store = app.extensions["injector"].get(OAuth2Store)
        long_ago, an_hour_ago = utcnow() - timedelta(days=2), utcnow() - timedelta(hours=1)
        for token, expired_at in ((old, long_ago), (recent, an_hour_ago)):
            db.session.execute(
                update(OAuth2Token)
                .where(OAuth2Token.access_token_hash == store.digest(token["access_token"]))
                .values(access_expires_at=expired_at, refresh_expires_at=expired_at)
            )
        codes = db.session.scalars(
            select(OAuth2AuthorizationCode.id).where(OAuth2AuthorizationCode.account_id == owner.member.id).order_by(OAuth2AuthorizationCode.created_at)
        ).all()
        assert len(codes) == 3
        db.session.execute(update(OAuth2AuthorizationCode).where(OAuth2AuthorizationCode.id == codes[0]).values(expires_at=long_ago))
        db.session.commit()

        purge_oauth2_grants.run()

        tokens = db.session.scalars(select(OAuth2Token.access_token_hash).where(OAuth2Token.account_id == owner.member.id)).all()
        assert store.digest(old["access_token"]) not in tokens
        assert {store.digest(recent["access_token"]), store.digest(live["access_token"])} <= set(tokens)
        left = db.session.scalars(select(OAuth2AuthorizationCode.id).where(OAuth2AuthorizationCode.account_id == owner.member.id)).all()
        assert sorted(left) == sorted(codes[1:])
    rfc_error(token_request(owner, client, {"grant_type": "refresh_token", "refresh_token": old["refresh_token"]}), 400, "invalid_grant")
    data_of(bearer(owner, live["access_token"]).get("rag", "/api/oauth2/clients"))


def introspect(stack: AIStackClient, client: dict, token: str, **form):
    return token_request(stack, client, {"token": token} | form, path="/api/oauth2/introspect", system="erp")


def test_a_confidential_client_introspects_its_own_tokens(app, owner, stranger):
    client = register(owner, scope="rag erp")
    token = granted(owner, client, scope="rag erp")
    answer = introspect(owner, client, token["access_token"])
    assert answer.status_code == 200 and "status" not in answer.json  # RFC 7662 JSON, not the envelope
    assert answer.json | {"iat": 0, "exp": 0} == {
        "active": True, "scope": "rag erp", "client_id": client["client_id"], "token_type": "Bearer",
        "sub": str(owner.member.id), "iat": 0, "exp": 0,
    }  # fmt: skip
    assert answer.json["exp"] - answer.json["iat"] == token["expires_in"]
    refresh = introspect(owner, client, token["refresh_token"], token_type_hint="refresh_token").json
    assert refresh["active"] and refresh["token_type"] == "refresh_token" and refresh["exp"] > answer.json["exp"]

    # Unknown, another client's, revoked or expired: inactive, and nothing more said.
    other = register(stranger)
    other_token = granted(stranger, other)
    assert introspect(owner, client, "no-such-token").json == {"active": False}
    assert introspect(owner, client, other_token["access_token"]).json == {"active": False}
    assert token_request(owner, client, {"token": token["access_token"]}, path="/api/oauth2/revoke").status_code == 200
    assert introspect(owner, client, token["access_token"]).json == {"active": False}
    assert introspect(owner, client, token["refresh_token"]).json["active"]  # revoking an access token keeps its refresh token
    with app.app_context():
        digest = app.extensions["injector"].get(OAuth2Store).digest(other_token["access_token"])
        db.session.execute(update(OAuth2Token).where(OAuth2Token.access_token_hash == digest).values(access_expires_at=utcnow()))
        db.session.commit()
    assert introspect(stranger, other, other_token["access_token"]).json == {"active": False}


def test_introspection_needs_a_confidential_client(owner):
    public = register(owner, method="none")
    token = granted(owner, public)
    rfc_error(introspect(owner, public, token["access_token"]), 401, "invalid_client")
    confidential = register(owner)
    rfc_error(introspect(owner, confidential | {"client_secret": "wrong"}, token["access_token"]), 401, "invalid_client")
    rfc_error(token_request(owner, confidential, {}, path="/api/oauth2/introspect"), 400, "invalid_request")
