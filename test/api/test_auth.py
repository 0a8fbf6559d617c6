"""llmops-api.md §6.3 password sign-in and §6.4 sign-out, plus how every protected route treats tokens."""

import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest

from test.conftest import PASSWORD, create_member


def login(client, email, password):
    return client.post("/auth/password-login", json={"email": email, "password": password})


def test_password_login_issues_a_token_that_opens_protected_routes(client, member):
    resp = login(client, member.email, PASSWORD)
    assert resp.status_code == 200
    body = resp.json
    assert body["code"] == "success" and body["message"] == ""
    token, expire_at = body["data"]["access_token"], body["data"]["expire_at"]
    assert isinstance(expire_at, int) and expire_at > time.time() + 3600

    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == str(member.id) and claims["iss"] == "llmops" and claims["exp"] == expire_at

    account = client.get("/account", headers={"Authorization": f"Bearer {token}"})
    assert account.json["data"]["email"] == member.email


def test_email_is_matched_case_insensitively(client, member):
    assert login(client, member.email.upper(), PASSWORD).json["code"] == "success"


def test_wrong_password_and_unknown_email_fail_alike(client, member):
    wrong = login(client, member.email, "wrong1234")
    unknown = login(client, "nobody-" + member.email, PASSWORD)
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json["code"] == unknown.json["code"] == "fail"
    assert wrong.json["message"] == unknown.json["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": PASSWORD}, "email"),
        ({"email": "a@example.com"}, "password"),
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "a" * 250 + "@x.com", "password": PASSWORD}, "email"),
        ({"email": "a@example.com", "password": "short1"}, "password"),
        ({"email": "a@example.com", "password": "toolongpassword123"}, "password"),
        ({"email": "a@example.com", "password": "lettersonly"}, "password"),
        ({"email": "a@example.com", "password": "1234567890"}, "password"),
        ({"email": "a@example.com", "password": "imooc.com@zehuiya"}, "password"),
        ({"email": 5, "password": PASSWORD}, "email"),
    ],
)
def test_login_constraints_are_validate_errors_naming_the_field(client, body, field):
    resp = client.post("/auth/password-login", json=body)
    assert resp.status_code == 400
    assert resp.json["code"] == "validate_error"
    assert resp.json["message"].startswith(f"{field}:")


def test_password_of_exactly_8_and_16_characters_is_accepted_by_validation(client):
    for password in ("abcdefg1", "abcdefghijklmno1"):
        resp = login(client, "nobody@example.com", password)
        assert resp.json["code"] == "fail"  # passed validation, then no such account


def test_repeated_failures_lock_the_email_for_that_address(client, member):
    for _ in range(5):
        assert login(client, member.email, "wrong1234").json["code"] == "fail"
    locked = login(client, member.email, PASSWORD)
    assert locked.json["code"] == "fail"
    assert "次数过多" in locked.json["message"]


def test_login_records_time_and_address(client, member):
    before = int(time.time())
    login(client, member.email, PASSWORD)
    data = client.get("/account", headers=member.headers).json["data"]
    assert data["last_login_ip"] == "127.0.0.1"
    assert before - 1 <= data["last_login_at"] <= int(time.time()) + 1


def test_logout_revokes_only_that_token(app, client, member):
    second = login(client, member.email, PASSWORD).json["data"]["access_token"]
    resp = client.post("/auth/logout", headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "退出当前账号成功"}

    refused = client.get("/account", headers=member.headers)
    assert refused.status_code == 401 and refused.json["code"] == "unauthorized"
    assert client.post("/auth/logout", headers=member.headers).status_code == 401
    assert client.get("/account", headers={"Authorization": f"Bearer {second}"}).status_code == 200


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic abc", "Token abc", "Bearer not.a.jwt", "Bearer " + "x" * 500],
)
def test_missing_or_malformed_credentials_are_unauthorized(client, header):
    headers = {} if header is None else {"Authorization": header}
    resp = client.get("/account", headers=headers)
    assert resp.status_code == 401
    assert resp.json["code"] == "unauthorized" and resp.json["message"]


def _forge(app, **claims):
    base = {"sub": str(uuid.uuid4()), "iss": "llmops", "iat": int(time.time()), "exp": int(time.time()) + 60, "jti": "x"}
    base.update(claims)
    settings = app.extensions["injector"].get(__import__("config").Settings)
    return jwt.encode(base, settings.jwt_secret_key, algorithm="HS256")


def test_expired_token_is_unauthorized(app, client, member):
    token = _forge(app, sub=str(member.id), exp=int(time.time()) - 10)
    resp = client.get("/account", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401 and "过期" in resp.json["message"]


def test_token_accepted_before_is_refused_once_expired(app, client, member):
    expire_at = int(time.time()) + 2
    token = _forge(app, sub=str(member.id), exp=expire_at, jti=uuid.uuid4().hex)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/account", headers=headers).status_code == 200

    time.sleep(max(0.0, expire_at - time.time()) + 0.05)

    resp = client.get("/account", headers=headers)
    assert resp.status_code == 401 and "过期" in resp.json["message"]


def test_token_signed_with_another_key_or_issuer_is_unauthorized(app, client, member):
    foreign = jwt.encode(
        {"sub": str(member.id), "iss": "llmops", "exp": int(time.time()) + 60, "jti": "y"}, "another-key-" * 4, algorithm="HS256"
    )
    wrong_issuer = _forge(app, sub=str(member.id), iss="someone-else")
    for token in (foreign, wrong_issuer):
        assert client.get("/account", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_unsigned_token_is_refused(client, member):
    token = jwt.encode({"sub": str(member.id), "iss": "llmops", "exp": int(time.time()) + 60, "jti": "z"}, None, algorithm="none")
    assert client.get("/account", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_token_of_a_vanished_account_is_unauthorized(app, client):
    token = _forge(app, sub=str(uuid.uuid4()))
    assert client.get("/account", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_public_routes_need_no_token(client):
    assert client.post("/auth/password-login", json={}).status_code == 400  # reached validation, not auth


def test_each_member_sees_only_their_own_account(app, client):
    first, second = create_member(app, client), create_member(app, client)
    assert client.get("/account", headers=first.headers).json["data"]["id"] == str(first.id)
    assert client.get("/account", headers=second.headers).json["data"]["id"] == str(second.id)


def test_concurrent_wrong_passwords_are_checked_at_most_the_allowed_number_of_times(app, member):
    """40 wrong passwords at once for one email: only LOGIN_MAX_FAILURES of them reach the
    password check, the others are refused as locked out, even while the first ones hash."""
    attempts = 40
    allowed = app.extensions["injector"].get(__import__("config").Settings).security.login_max_failures
    start = threading.Barrier(attempts)

    def attempt(_):
        client = app.test_client()
        start.wait()
        return login(client, member.email, "wrong1234").json

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        answers = list(pool.map(attempt, range(attempts)))

    assert all(answer["code"] == "fail" for answer in answers)
    checked = [a for a in answers if a["message"] == "账号不存在或者密码错误，请核实后重试"]
    locked = [a for a in answers if "次数过多" in a["message"]]
    assert len(checked) == allowed and len(locked) == attempts - allowed
    # The right password is locked out as well until the window ends.
    assert "次数过多" in login(app.test_client(), member.email, PASSWORD).json["message"]


def test_a_successful_sign_in_clears_earlier_failures(client, member):
    for _ in range(4):
        login(client, member.email, "wrong1234")
    assert login(client, member.email, PASSWORD).json["code"] == "success"
    for _ in range(4):
        assert "次数过多" not in login(client, member.email, "wrong1234").json["message"]


def test_unknown_email_takes_as_long_as_a_wrong_password(client, member):
    """Answering an unknown email faster than a wrong password would tell which emails have
    accounts. Each sample comes from its own address so that the lockout never cuts one short."""
    samples = 9

    def timed(email, address):
        started = time.perf_counter()
        resp = client.post(
            "/auth/password-login",
            json={"email": email, "password": "wrong1234"},
            environ_overrides={"REMOTE_ADDR": address},
        )
        elapsed = time.perf_counter() - started
        assert resp.json["message"] == "账号不存在或者密码错误，请核实后重试"
        return elapsed

    wrong, unknown = [], []
    for i in range(samples):  # interleaved, so a busy moment of the machine slows both alike
        wrong.append(timed(member.email, f"10.11.0.{i}"))
        unknown.append(timed(f"nobody-{uuid.uuid4().hex[:8]}@example.com", f"10.12.0.{i}"))
    assert statistics.median(unknown) >= 0.5 * statistics.median(wrong)
