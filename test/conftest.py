"""Fixtures shared by the whole suite.

Every API test runs twice: against the embedded profile (SQLite and a disk cache in a
temporary folder) and against the services profile (a fresh PostgreSQL database and
Redis). The services run is skipped when they are unreachable, unless
LLMOPS_REQUIRE_SERVICES=1 makes that a failure.
"""

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg2
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from werkzeug.security import generate_password_hash

from config import Profile, Settings
from internal.aistack.resources.recorder import RequestRecorder
from config.settings import (
    AIStackContentSettings,
    AIStackErpSettings,
    AIStackTasksSettings,
    AIStackLearningSettings,
    AIStackResourcesSettings,
    AIStackTrendsSettings,
    AIStackSettings,
    EmbeddingProvider,
    AssistantAgentSettings,
    AgentSettings,
    AnalysisSettings,
    BuiltinToolSettings,
    CelerySettings,
    DatabaseSettings,
    EmbeddingSettings,
    OAuthSettings,
    ObjectStorageSettings,
    OpenApiSettings,
    OutboundSettings,
    ProviderSettings,
    RedisSettings,
    SecuritySettings,
    StorageSettings,
    VectorStoreSettings,
    SandboxSettings,
    SpeechSettings,
    WechatSettings,
)
from internal.server import create_app
from internal.server.http import MIGRATIONS_DIR
from internal.service.account_service import AccountService
from pkg import password
from test.celery_worker import CeleryWorker
from test.fakes.github import FakeGithub
from test.fakes.openai_server import FakeOpenAI
from test.fakes.hot_lists import FakeHotLists
from test.fakes.wechat import FakeWechatApi

POSTGRES_ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = os.environ.get("LLMOPS_REQUIRE_SERVICES") == "1"
GITHUB_CLIENT_ID = "test-client-id"
GITHUB_CLIENT_SECRET = "test-client-secret"
PASSWORD = "secret123"


def make_settings(storage_dir, **overrides) -> Settings:
    """Settings built only from what the test says: no environment, no .env file."""
    groups = {
        "storage": StorageSettings(_env_file=None, storage_dir=storage_dir),
        "object_storage": ObjectStorageSettings(_env_file=None),
        "database": DatabaseSettings(_env_file=None),
        "redis": RedisSettings(_env_file=None),
        "celery": CelerySettings(_env_file=None),
        "security": SecuritySettings(_env_file=None),
        "oauth": OAuthSettings(_env_file=None),
        "providers": ProviderSettings(_env_file=None),
        "outbound": OutboundSettings(_env_file=None),
        "builtin_tools": BuiltinToolSettings(_env_file=None),
        "embeddings": EmbeddingSettings(_env_file=None),
        "vector_store": VectorStoreSettings(_env_file=None),
        "agent": AgentSettings(_env_file=None),
        "open_api": OpenApiSettings(_env_file=None),
        "sandbox": SandboxSettings(_env_file=None),
        "wechat": WechatSettings(_env_file=None),
        "analysis": AnalysisSettings(_env_file=None),
        "speech": SpeechSettings(_env_file=None),
        "assistant_agent": AssistantAgentSettings(_env_file=None),
        "aistack": AIStackSettings(_env_file=None),
        "aistack_erp": AIStackErpSettings(_env_file=None),
        "aistack_content": AIStackContentSettings(_env_file=None),
        "aistack_tasks": AIStackTasksSettings(_env_file=None),
        "aistack_learning": AIStackLearningSettings(_env_file=None),
        "aistack_resources": AIStackResourcesSettings(_env_file=None),
        "aistack_trends": AIStackTrendsSettings(_env_file=None),
    }
    groups.update({k: v for k, v in overrides.items() if k in groups})
    rest = {k: v for k, v in overrides.items() if k not in groups}
    return Settings(_env_file=None, **groups, **rest)


def services_unavailable(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"LLMOPS_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


# The suite's password hashes: the product's scrypt at a 32nd of its work (N = 2^10, not 2^15). A
# hash names its parameters, so signing in works alike; at ~0.1 s for each hash and each check,
# the suite's thousands of accounts and sign-ins spent minutes on them. test/pkg/test_password.py
# checks the product's own cost.
TEST_PASSWORD_HASH = "scrypt:1024:8:1"


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    def generate(secret: str, method: str) -> str:
        return generate_password_hash(secret, method=TEST_PASSWORD_HASH)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(password, "generate_password_hash", generate)
        yield


@pytest.fixture(scope="session")
def fake_github() -> Iterator[FakeGithub]:
    server = FakeGithub(GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_llm() -> Iterator[FakeOpenAI]:
    """The model every app of the session talks to: each provider's base URL points here."""
    server = FakeOpenAI(api_key="sk-test-session-llm").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_wechat() -> Iterator[FakeWechatApi]:
    """WeChat's server API (access tokens, customer-service messages) for every app of the session."""
    server = FakeWechatApi().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_hot_lists() -> Iterator[FakeHotLists]:
    """Weibo's, Zhihu's and Baidu's public hot lists for AI Stack's trend analysis."""
    server = FakeHotLists().start()
    yield server
    server.stop()


@pytest.fixture
def llm(fake_llm) -> FakeOpenAI:
    """The session's fake model with no scripts left over from earlier tests."""
    fake_llm.reset_chat()
    return fake_llm


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of its own for this run, dropped at the end."""
    name = f"llmops_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg2.connect(POSTGRES_ADMIN_DSN, connect_timeout=3)
    except psycopg2.OperationalError as exc:
        services_unavailable(f"PostgreSQL is not reachable: {exc}")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="session")
def redis_url() -> str:
    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        services_unavailable(f"Redis is not reachable: {exc}")
    return TEST_REDIS_URL


def _common_overrides(
    fake_github: FakeGithub, fake_llm: FakeOpenAI, fake_wechat: FakeWechatApi | None = None, fake_hot_lists: FakeHotLists | None = None
) -> dict:
    providers = {}
    for provider in ("openai", "deepseek", "moonshot", "tongyi", "zhipu", "ollama"):
        providers[f"{provider}_api_key"] = fake_llm.api_key
        providers[f"{provider}_api_base"] = fake_llm.api_base
    return {
        "providers": ProviderSettings(_env_file=None, llm_max_retries=0, **providers),
        # Every AI Stack test signs in from 127.0.0.1: the per-caller limit has its own tests
        # (test/aistack/test_gateway.py) on an app of their own.
        "aistack": AIStackSettings(_env_file=None, aistack_rate_limit="100000/minute"),
        # Retraining submits its data set to the fake model's fine-tuning API.
        "aistack_learning": AIStackLearningSettings(_env_file=None, aistack_learning_finetune_provider="openai"),
        # The fake model's key must not switch knowledge bases to its (hashed) embeddings.
        "embeddings": EmbeddingSettings(_env_file=None, embedding_provider=EmbeddingProvider.LOCAL),
        # API tests call local fakes on 127.0.0.1 only; other loopback addresses stay refused.
        "outbound": OutboundSettings(_env_file=None, outbound_allow_hosts="127.0.0.1"),
        "oauth": OAuthSettings(
            _env_file=None,
            github_client_id=GITHUB_CLIENT_ID,
            github_client_secret=GITHUB_CLIENT_SECRET,
            github_redirect_uri="http://localhost:5173/oauth/authorize/github",
            github_oauth_base=fake_github.url,
            github_api_base=fake_github.url,
        ),
    } | ({"wechat": WechatSettings(_env_file=None, wechat_api_base=fake_wechat.url)} if fake_wechat else {}) | (
        {"aistack_trends": AIStackTrendsSettings(_env_file=None, **{f"trends_{p}_base": fake_hot_lists.url for p in ("weibo", "zhihu", "baidu")})}
        if fake_hot_lists
        else {}
    )


@pytest.fixture(scope="session", params=["embedded", "services"])
def app(request, tmp_path_factory, fake_github, fake_llm, fake_wechat, fake_hot_lists) -> Flask:
    storage_dir = tmp_path_factory.mktemp(request.param)
    overrides = _common_overrides(fake_github, fake_llm, fake_wechat, fake_hot_lists)
    if request.param == "embedded":
        return create_app(make_settings(storage_dir, **overrides))

    postgres = request.getfixturevalue("postgres_url")
    redis_ = request.getfixturevalue("redis_url")
    settings = make_settings(
        storage_dir,
        llmops_profile=Profile.PRODUCTION,
        database=DatabaseSettings(_env_file=None, sqlalchemy_database_uri=postgres),
        redis=RedisSettings(_env_file=None, redis_url=redis_),
        # A queue of its own, so runs sharing one Redis never take each other's tasks.
        celery=CelerySettings(
            _env_file=None, celery_broker_url=redis_, celery_indexing_queue=f"llmops-test-{uuid.uuid4().hex[:12]}"
        ),
        security=SecuritySettings(_env_file=None, jwt_secret_key="test-" + "k" * 40, data_secret_key="data-" + "d" * 40),
        **overrides,
    )
    flask_app = create_app(settings)
    with flask_app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="heads")
    # Request figures stop being written before the run's database is dropped.
    request.addfinalizer(flask_app.extensions["injector"].get(RequestRecorder).stop)
    # Background tasks (document builds, deletions) run on a real worker with these settings.
    worker = CeleryWorker(settings, storage_dir / "celery-worker.log")
    request.addfinalizer(worker.stop)
    worker.start(flask_app.extensions["celery"])
    flask_app.extensions["test_celery_worker"] = worker
    return flask_app


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@dataclass
class Member:
    """An account created for one test, signed in through the API."""

    id: uuid.UUID
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def create_member(app: Flask, client: FlaskClient, name: str = "") -> Member:
    email = f"user-{uuid.uuid4().hex[:10]}@example.com"
    with app.app_context():
        account = app.extensions["injector"].get(AccountService).create_account(email, PASSWORD, name)
        account_id = account.id
    resp = client.post("/auth/password-login", json={"email": email, "password": PASSWORD})
    assert resp.status_code == 200, resp.json
    return Member(id=account_id, email=email, password=PASSWORD, token=resp.json["data"]["access_token"])


@pytest.fixture
def member(app, client) -> Member:
    return create_member(app, client, name="Member")


@pytest.fixture
def other_member(app, client) -> Member:
    return create_member(app, client, name="Other")
