"""A real Celery worker for the services profile: a subprocess configured exactly like the test app.

The worker gets the app's settings as environment variables (so it shares the database, Redis,
and STORAGE_DIR with its uploads and embedded vector store) and listens on a queue of its own,
so that test runs sharing one Redis never take each other's tasks.
"""

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from celery import Celery
from pydantic import BaseModel

from config import PROJECT_ROOT, Settings

READY_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0


def settings_environment(settings: Settings) -> dict[str, str]:
    """Every setting as the environment variable that sets it (names are the field names)."""
    env = {"LLMOPS_PROFILE": settings.llmops_profile.value}
    for group_name in type(settings).model_fields:
        group = getattr(settings, group_name)
        if not isinstance(group, BaseModel):
            continue
        for field, value in group.model_dump(mode="json").items():
            if value is None:
                continue
            env[field.upper()] = value if isinstance(value, str) else json.dumps(value)
    return env


class CeleryWorker:
    def __init__(self, settings: Settings, log_path: Path):
        self.settings = settings
        self.log_path = log_path
        self.queue = f"llmops-test-{uuid.uuid4().hex[:12]}"
        self.hostname = f"{self.queue}@{socket.gethostname()}"
        self.process: subprocess.Popen | None = None

    def start(self, celery: Celery) -> None:
        """Start the worker and wait until it answers a ping; `celery` (the app's) then sends to its queue."""
        celery.conf.task_default_queue = self.queue
        env = {**os.environ, **settings_environment(self.settings)}
        command = [
            sys.executable, "-m", "celery", "-A", "app.worker", "worker",
            "--pool", "threads", "--concurrency", "2", "--loglevel", "warning",
            "--queues", self.queue, "--hostname", self.hostname,
            "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait_until_ready(celery)

    def _wait_until_ready(self, celery: Celery) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The Celery worker exited with {self.process.returncode}:\n{self.log()}")
            if celery.control.ping(destination=[self.hostname], timeout=1.0):
                return
        self.stop()
        raise RuntimeError(f"The Celery worker did not answer within {READY_TIMEOUT:g}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # warm shutdown: running tasks finish first
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"(no worker log: {exc})"

    def assert_alive(self) -> None:
        if self.process is None or self.process.poll() is not None:
            raise AssertionError(f"The Celery worker is not running:\n{self.log()}")
