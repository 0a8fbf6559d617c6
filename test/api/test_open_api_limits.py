"""Open API limits (issue 12, llmops-api.md §9.6): a request rate per API key on every route
authenticated by an API key, and concurrent runs per app; over a limit the answer is 429 with
the `fail` envelope, `Retry-After` and `X-RateLimit-*` headers. On both profiles.

The open API's own routes are written elsewhere; this module serves two test-only routes that
declare API-key authentication, on an app of its own with small limits.
"""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import current_app
from flask_migrate import upgrade

from config import Profile, Settings
from config.settings import CelerySettings, DatabaseSettings, OpenApiSettings, RedisSettings, SecuritySettings
from internal.exception import TooManyRequestsException
from internal.extension.rate_limit import create_run_slots
from internal.handler.endpoint import endpoint
from internal.middleware import AuthKind, current_account, current_api_key
from internal.server import create_app
from internal.server.http import MIGRATIONS_DIR
from internal.service.open_api_limit_service import OpenApiLimitService
from pkg.response import success_json
from test.api.apps import publish
from test.api.assertions import assert_envelope
from test.api.chat import chat_app, read_events
from test.conftest import _common_overrides, create_member, make_settings
from test.fakes.openai_server import ChatReply

RATE = 3
MAX_RUNS = 2
# Holds the test-only runs open until a test lets them finish.
run_gate = threading.Event()


@endpoint(auth=AuthKind.API_KEY)
def _whoami():
    return success_json({"account_id": str(current_account().id), "api_key_id": str(current_api_key().id)})


@endpoint(auth=AuthKind.API_KEY)
def _run(app_id: uuid.UUID):
    with current_app.extensions["injector"].get(OpenApiLimitService).acquire_run_slot(app_id):
        run_gate.wait(30)
    return success_json({})


@pytest.fixture(scope="module", params=["embedded", "services"])
def limited_app(request, tmp_path_factory, fake_github, fake_llm):
    overrides = {
        **_common_overrides(fake_github, fake_llm),
        "open_api": OpenApiSettings(_env_file=None, openapi_rate_limit=f"{RATE}/minute", openapi_max_concurrent_runs=MAX_RUNS),
    }
    storage_dir = tmp_path_factory.mktemp(f"limits-{request.param}")
    if request.param == "services":
        postgres, redis_url = request.getfixturevalue("postgres_url"), request.getfixturevalue("redis_url")
        overrides.update(
            llmops_profile=Profile.PRODUCTION,
            database=DatabaseSettings(_env_file=None, sqlalchemy_database_uri=postgres),
            redis=RedisSettings(_env_file=None, redis_url=redis_url),
            celery=CelerySettings(_env_file=None, celery_broker_url=redis_url),
            security=SecuritySettings(_env_file=None, jwt_secret_key="test-" + "k" * 40, data_secret_key="data-" + "d" * 40),
        )
    flask_app = create_app(make_settings(storage_dir, **overrides))
    if request.param == "services":
        with flask_app.app_context():
            upgrade(directory=MIGRATIONS_DIR, revision="heads")
    flask_app.add_url_rule("/test-only/whoami", "test_whoami", _whoami, methods=["GET", "POST"])
    flask_app.add_url_rule("/test-only/apps/<uuid:app_id>/run", "test_run", _run, methods=["POST"])
    return flask_app


@pytest.fixture
def limited_client(limited_app):
    return limited_app.test_client()


def new_key(client, member) -> str:
    client.post("/openapi/api-keys", json={"is_active": True}, headers=member.headers)
    return client.get("/openapi/api-keys", headers=member.headers).json["data"]["list"][0]["api_key"]


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_each_key_has_its_rate_then_gets_429_with_retry_after(limited_app, limited_client):
    member = create_member(limited_app, limited_client)
    key, other_key = new_key(limited_client, member), new_key(limited_client, member)
    before = time.time()
    for remaining in range(RATE - 1, -1, -1):
        resp = limited_client.get("/test-only/whoami", headers=bearer(key))
        assert resp.status_code == 200 and resp.json["data"]["account_id"] == str(member.id)
        assert resp.headers["X-RateLimit-Limit"] == str(RATE)
        assert resp.headers["X-RateLimit-Remaining"] == str(remaining)
        assert before + 59 <= int(resp.headers["X-RateLimit-Reset"]) <= time.time() + 61

    refused = limited_client.post("/test-only/whoami", headers=bearer(key))  # every method counts
    assert_envelope(refused, 429, "fail")
    assert refused.json == {"code": "fail", "data": {}, "message": "API秘钥请求过于频繁，请稍后重试"}
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Limit"] == str(RATE) and refused.headers["X-RateLimit-Remaining"] == "0"

    # Another key of the same account has its own count, and a browser page may read the headers.
    resp = limited_client.get("/test-only/whoami", headers={**bearer(other_key), "Origin": "http://localhost:5173"})
    assert resp.status_code == 200 and resp.headers["X-RateLimit-Remaining"] == str(RATE - 1)
    exposed = {h.strip().lower() for h in resp.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= exposed


def test_requests_without_a_valid_key_and_console_requests_are_not_counted(limited_app, limited_client):
    member = create_member(limited_app, limited_client)
    for _ in range(RATE + 2):
        unknown = limited_client.get("/test-only/whoami", headers=bearer("llmops-v1/" + "x" * 48))
        assert unknown.status_code == 401 and "X-RateLimit-Limit" not in unknown.headers
        console = limited_client.get("/openapi/api-keys", headers=member.headers)
        assert console.status_code == 200 and "X-RateLimit-Limit" not in console.headers


def test_concurrent_requests_cannot_pass_the_rate_together(limited_app, limited_client):
    member = create_member(limited_app, limited_client)
    key = new_key(limited_client, member)

    def call(_):
        return limited_app.test_client().get("/test-only/whoami", headers=bearer(key)).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(call, range(12)))
    assert statuses.count(200) == RATE and statuses.count(429) == 12 - RATE


def test_an_app_runs_at_most_its_limit_at_once(limited_app, limited_client):
    member = create_member(limited_app, limited_client)
    keys = [new_key(limited_client, member) for _ in range(MAX_RUNS + 2)]
    app_id, other_app_id = uuid.uuid4(), uuid.uuid4()
    limits = limited_app.extensions["injector"].get(OpenApiLimitService)
    run_gate.clear()
    pool = ThreadPoolExecutor(MAX_RUNS)
    try:
        running = [
            pool.submit(lambda k=k: limited_app.test_client().post(f"/test-only/apps/{app_id}/run", headers=bearer(k)))
            for k in keys[:MAX_RUNS]
        ]
        deadline = time.monotonic() + 10
        while limits.runs_in_progress(app_id) < MAX_RUNS and time.monotonic() < deadline:
            time.sleep(0.02)
        assert limits.runs_in_progress(app_id) == MAX_RUNS

        refused = limited_client.post(f"/test-only/apps/{app_id}/run", headers=bearer(keys[MAX_RUNS]))
        assert_envelope(refused, 429, "fail")
        assert refused.json["message"] == "该应用同时运行的对话过多，请稍后重试"
        assert int(refused.headers["Retry-After"]) >= 1
        # Another app has its own slots.
        with limits.acquire_run_slot(other_app_id):
            assert limits.runs_in_progress(other_app_id) == 1
    finally:
        run_gate.set()
        results = [future.result(timeout=30) for future in running]
        pool.shutdown()
    assert [resp.status_code for resp in results] == [200] * MAX_RUNS
    # Finished runs gave their slots back.
    assert limits.runs_in_progress(app_id) == 0 and limits.runs_in_progress(other_app_id) == 0
    assert limited_client.post(f"/test-only/apps/{app_id}/run", headers=bearer(keys[-1])).status_code == 200


def test_run_slots_are_released_once_and_on_errors(limited_app):
    limits = limited_app.extensions["injector"].get(OpenApiLimitService)
    app_id = uuid.uuid4()
    slots = [limits.acquire_run_slot(app_id) for _ in range(MAX_RUNS)]
    with pytest.raises(TooManyRequestsException) as refused:
        limits.acquire_run_slot(app_id)
    assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "1"

    slots[0].release()
    slots[0].release()  # a second release frees nothing more
    third = limits.acquire_run_slot(app_id)
    with pytest.raises(TooManyRequestsException):
        limits.acquire_run_slot(app_id)

    with pytest.raises(RuntimeError):
        with third:
            raise RuntimeError("the run failed")
    slots[1].release()
    assert limits.runs_in_progress(app_id) == 0


def test_run_slots_cannot_be_overbooked_by_concurrent_callers(limited_app):
    limits = limited_app.extensions["injector"].get(OpenApiLimitService)
    app_id = uuid.uuid4()

    def try_acquire(_):
        try:
            return limits.acquire_run_slot(app_id)
        except TooManyRequestsException:
            return None

    with ThreadPoolExecutor(16) as pool:
        slots = [slot for slot in pool.map(try_acquire, range(40)) if slot is not None]
    assert len(slots) == MAX_RUNS
    for slot in slots:
        slot.release()


def test_a_slot_whose_holder_vanished_frees_itself_after_its_lease(limited_app):
    """A process that dies mid-run never releases; the lease (AGENT_TIMEOUT plus a margin in
    the service) gives the slot back."""
    run_slots = create_run_slots(limited_app.extensions["injector"].get(Settings))
    key = f"lease-test:{uuid.uuid4()}"
    assert run_slots.acquire(key, 1, lease=0.3) is not None
    assert run_slots.acquire(key, 1, lease=0.3) is None
    deadline = time.monotonic() + 10
    while run_slots.in_use(key) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert run_slots.acquire(key, 1, lease=0.3) is not None


def test_open_api_chat_holds_a_run_slot_until_its_run_ends(limited_app, limited_client, fake_llm):
    """POST /openapi/chat takes one of the app's run slots before its run starts and frees it when
    the run ends."""
    member = create_member(limited_app, limited_client)
    app_id, marker = chat_app(limited_client, member)
    publish(limited_client, member, app_id)
    fake_llm.script_chat(marker, *[ChatReply(text="slow answer", delay=1.5)] * MAX_RUNS)
    keys = [new_key(limited_client, member) for _ in range(MAX_RUNS + 1)]
    limits = limited_app.extensions["injector"].get(OpenApiLimitService)

    streams = [
        limited_client.post("/openapi/chat", json={"app_id": app_id, "query": "hi", "stream": True}, headers=bearer(key), buffered=False)
        for key in keys[:MAX_RUNS]
    ]
    assert all(resp.status_code == 200 for resp in streams)
    assert limits.runs_in_progress(uuid.UUID(app_id)) == MAX_RUNS

    refused = limited_client.post("/openapi/chat", json={"app_id": app_id, "query": "hi", "stream": False}, headers=bearer(keys[-1]))
    assert_envelope(refused, 429, "fail")
    assert refused.headers["Retry-After"] == "1"

    for resp in streams:
        assert read_events(resp)[-1]["event"] == "agent_end"
    deadline = time.monotonic() + 10
    while limits.runs_in_progress(uuid.UUID(app_id)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert limits.runs_in_progress(uuid.UUID(app_id)) == 0

    fake_llm.script_chat(marker, ChatReply(text="fast answer"))
    answered = limited_client.post("/openapi/chat", json={"app_id": app_id, "query": "hi", "stream": False}, headers=bearer(keys[-1]))
    assert answered.status_code == 200 and answered.json["data"]["answer"] == "fast answer"
