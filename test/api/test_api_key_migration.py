"""Migration 0008 (api_key secrets): keys created before it, stored in the clear, are hashed
and encrypted and keep working; the downgrade gives the plaintext back. SQLite and PostgreSQL."""

import datetime as dt
import uuid

import psycopg2
import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from config import Profile
from config.settings import CelerySettings, DatabaseSettings, RedisSettings, SecuritySettings
from internal.extension.database import UTCDateTime, db
from internal.server import create_app
from internal.server.http import MIGRATIONS_DIR
from internal.service.api_key_service import generate_api_key
from test.api.test_api_keys import _authenticate_with_api_key
from test.conftest import POSTGRES_ADMIN_DSN, create_member, make_settings

REVISION = "9a41c7e2d5b8"
BEFORE = f"{REVISION}-1"

_old_api_key = sa.table(
    "api_key",
    sa.column("id", sa.Uuid()),
    sa.column("account_id", sa.Uuid()),
    sa.column("api_key", sa.String()),
    sa.column("is_active", sa.Boolean()),
    sa.column("remark", sa.String()),
    sa.column("updated_at", UTCDateTime()),
    sa.column("created_at", UTCDateTime()),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_app(request, tmp_path):
    """An application on a database of its own."""
    if request.param == "sqlite":
        yield create_app(make_settings(tmp_path))
        return
    redis_url = request.getfixturevalue("redis_url")
    name = f"llmops_migration_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(POSTGRES_ADMIN_DSN, connect_timeout=3)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    settings = make_settings(
        tmp_path,
        llmops_profile=Profile.PRODUCTION,
        database=DatabaseSettings(_env_file=None, sqlalchemy_database_uri=f"{POSTGRES_ADMIN_DSN.rsplit('/', 1)[0]}/{name}"),
        redis=RedisSettings(_env_file=None, redis_url=redis_url),
        celery=CelerySettings(_env_file=None, celery_broker_url=redis_url),
        security=SecuritySettings(_env_file=None, jwt_secret_key="test-" + "k" * 40, data_secret_key="data-" + "m" * 40),
    )
    flask_app = create_app(settings)
    with flask_app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="heads")
    yield flask_app
    with flask_app.app_context():
        db.engine.dispose()
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _columns(flask_app) -> set[str]:
    with flask_app.app_context():
        return {column["name"] for column in sa.inspect(db.engine).get_columns("api_key")}


def test_keys_stored_in_the_clear_are_hashed_encrypted_and_keep_working(fresh_app):
    client = fresh_app.test_client()
    member = create_member(fresh_app, client)
    old_keys = [generate_api_key(), generate_api_key()]
    with fresh_app.app_context():
        downgrade(directory=MIGRATIONS_DIR, revision=BEFORE)
        now = dt.datetime.now(dt.UTC)
        for n, key in enumerate(old_keys):
            db.session.execute(
                _old_api_key.insert().values(
                    id=uuid.uuid4(), account_id=member.id, api_key=key, is_active=True,
                    remark=f"old {n}", updated_at=now, created_at=now + dt.timedelta(seconds=n),
                )
            )  # fmt: skip
        db.session.commit()
        db.session.remove()
        upgrade(directory=MIGRATIONS_DIR, revision="heads")

    assert "api_key" not in _columns(fresh_app) and {"key_hash", "encrypted_key", "last_used_at"} <= _columns(fresh_app)
    for key in old_keys:
        assert _authenticate_with_api_key(fresh_app, f"Bearer {key}") == member.id
    listed = client.get("/openapi/api-keys", headers=member.headers).json["data"]["list"]
    assert [item["api_key"] for item in listed] == old_keys[::-1]

    # And back: the downgrade restores the plaintext column.
    with fresh_app.app_context():
        downgrade(directory=MIGRATIONS_DIR, revision=BEFORE)
        restored = db.session.execute(sa.select(_old_api_key.c.api_key)).scalars().all()
        db.session.remove()
        upgrade(directory=MIGRATIONS_DIR, revision="heads")
    assert sorted(restored) == sorted(old_keys)

