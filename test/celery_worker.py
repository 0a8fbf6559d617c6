"""A real Celery worker for the services profile: a subprocess configured exactly like the test app.

The worker gets the app's settings as environment variables (so it shares the database, Redis,
and STORAGE_DIR with its uploads and embedded vector store) and listens on the settings' indexing
queue, which each test run names for itself, so that runs sharing one Redis never take each
other's tasks. With `beat=True` it also runs Celery beat (the indexing sweep).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
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
    def __init__(self, settings: Settings, log_path: Path, beat: bool = False):
        self.settings = settings
        self.log_path = log_path
        self.beat = beat
        self.queue = settings.celery.celery_indexing_queue
        self.hostname = f"{self.queue}@{socket.gethostname()}"
        self.process: subprocess.Popen | None = None

    def start(self, celery: Celery) -> None:
        """Start the worker and wait until it answers a ping (`celery` is the app's)."""
        env = {**os.environ, **settings_environment(self.settings)}
        command = [
            sys.executable, "-m", "celery", "-A", "app.worker", "worker",
            "--pool", "threads", "--concurrency", "2", "--loglevel", os.environ.get("TEST_WORKER_LOGLEVEL", "warning"),
            "--queues", self.queue, "--hostname", self.hostname,
            "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        if self.beat:
            command += ["--beat", "--schedule", str(self.log_path.with_suffix(".beat-schedule"))]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait_until_ready(celery)

    def _wait_until_ready(self, celery: Celery) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        with celery.connection_for_write() as connection:
            broker_errors = connection.connection_errors
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The Celery worker exited with {self.process.returncode}:\n{self.log()}")
            try:
                if celery.control.ping(destination=[self.hostname], timeout=1.0):
                    return
            except broker_errors:  # the connection was cut (a fault test): the next ping reconnects
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"The Celery worker did not answer within {READY_TIMEOUT:g}s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL to the worker and everything it started: no warm shutdown, no acknowledgement."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT)

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

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def assert_alive(self) -> None:
        if self.process is None or self.process.poll() is not None:
            raise AssertionError(f"The Celery worker is not running:\n{self.log()}")
