"""One process serves the platform API and every AI Stack system's port, as the README says:
`python -m app.http.serve` (development) and gunicorn with app/http/gunicorn_conf.py (production)."""

import os
import subprocess
import sys
import time

import httpx
import pytest

from config import PROJECT_ROOT

from .test_commands import SERVICE_VARS, _free_port, run_flask

COMMANDS = {
    "serve": [sys.executable, "-m", "app.http.serve"],
    "gunicorn": [sys.executable, "-m", "gunicorn", "-c", "app/http/gunicorn_conf.py", "--workers", "1", "app.http.app:app"],
}


def _wait_for(url: str, server: subprocess.Popen) -> None:
    deadline = time.time() + 60
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            assert server.poll() is None, "the server exited"
            if time.time() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.parametrize("command", COMMANDS)
def test_one_process_serves_the_api_and_each_system_on_its_port(tmp_path, command):
    assert run_flask(tmp_path, "account", "create", "--email", "ports@example.com", "--password", "abc12345").returncode == 0
    main, rag, chat = _free_port(), _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env.update({
        "STORAGE_DIR": str(tmp_path), "SERVER_PORT": str(main), "AISTACK_PORTS": f"rag={rag},chat={chat}",
    })  # fmt: skip
    server = subprocess.Popen(
        COMMANDS[command], cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for port in (main, rag, chat):
            _wait_for(f"http://127.0.0.1:{port}/docs/openapi.json", server)
        # The platform's API on the main port, with its own envelope.
        platform = httpx.post(
            f"http://127.0.0.1:{main}/auth/password-login", json={"email": "ports@example.com", "password": "abc12345"}
        ).json()
        assert platform["code"] == "success"
        # A system on its port at /api/..., and the same system under its prefix on the main port.
        credentials = {"username": "ports@example.com", "password": "abc12345"}
        on_port = httpx.post(f"http://127.0.0.1:{rag}/api/auth/token", json=credentials).json()
        on_prefix = httpx.post(f"http://127.0.0.1:{main}/aistack/chat/api/auth/token", json=credentials).json()
        for body in (on_port, on_prefix):
            assert body["status"] == "success" and body["data"]["token_type"] == "bearer", body
        # Each port's document is its own system's, at /docs.
        assert "RAG" in httpx.get(f"http://127.0.0.1:{rag}/docs/openapi.json").json()["info"]["title"]
        assert "OpenWebUI" in httpx.get(f"http://127.0.0.1:{chat}/docs/openapi.json").json()["info"]["title"]
        # The platform's routes are not served on a system's port.
        missing = httpx.get(f"http://127.0.0.1:{chat}/account")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
    finally:
        server.terminate()
        server.wait(timeout=15)
