"""The commands the README documents, run as a user runs them."""

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psycopg2

from config import PROJECT_ROOT
from test.conftest import POSTGRES_ADMIN_DSN, services_unavailable

FLASK = [sys.executable, "-m", "flask", "--app", "app.http.app"]
SERVICE_VARS = ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "CELERY_BROKER_URL", "LLMOPS_PROFILE", "JWT_SECRET_KEY", "DATA_SECRET_KEY")


def run_flask(storage: Path, *args, extra_env=None):
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env.update({"STORAGE_DIR": str(storage), **(extra_env or {})})
    return subprocess.run([*FLASK, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_account_create_prints_the_id_and_refuses_duplicates(tmp_path):
    created = run_flask(tmp_path, "account", "create", "--email", "Ops@Example.com", "--password", "abc12345", "--name", "Ops")
    assert created.returncode == 0, created.stderr
    account_id = created.stdout.strip().splitlines()[-1]
    assert str(uuid.UUID(account_id)) == account_id

    duplicate = run_flask(tmp_path, "account", "create", "--email", "ops@example.com", "--password", "abc12345")
    assert duplicate.returncode == 1 and "已被注册" in duplicate.stderr

    weak = run_flask(tmp_path, "account", "create", "--email", "new@example.com", "--password", "weak")
    assert weak.returncode == 1 and "password" in weak.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_run_serves_the_api_and_the_created_account_signs_in(tmp_path):
    assert run_flask(tmp_path, "account", "create", "--email", "live@example.com", "--password", "abc12345").returncode == 0
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env["STORAGE_DIR"] = str(tmp_path)
    server = subprocess.Popen([*FLASK, "run", "--port", str(port)], cwd=PROJECT_ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 30
        while True:
            try:
                httpx.get(f"{base}/account", timeout=1)
                break
            except httpx.TransportError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        login = httpx.post(f"{base}/auth/password-login", json={"email": "live@example.com", "password": "abc12345"}).json()
        assert login["code"] == "success"
        token = login["data"]["access_token"]
        account = httpx.get(f"{base}/account", headers={"Authorization": f"Bearer {token}"}).json()
        assert account["data"]["email"] == "live@example.com"
        httpx.post(f"{base}/auth/logout", headers={"Authorization": f"Bearer {token}"})
        assert httpx.get(f"{base}/account", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_db_upgrade_creates_the_schema_on_postgresql(tmp_path):
    try:
        admin = psycopg2.connect(POSTGRES_ADMIN_DSN, connect_timeout=3)
    except psycopg2.OperationalError as exc:
        services_unavailable(f"PostgreSQL is not reachable: {exc}")
    admin.autocommit = True
    name = f"llmops_cli_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        uri = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name
        result = run_flask(tmp_path, "db", "upgrade", extra_env={"SQLALCHEMY_DATABASE_URI": uri})
        assert result.returncode == 0, result.stderr
        with psycopg2.connect(uri) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
            tables = {row[0] for row in cursor.fetchall()}
        assert {"account", "api_key", "alembic_version"} <= tables
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
