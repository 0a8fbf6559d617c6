"""Speed of the debug chat (`POST /apps/:app_id/conversations`) and the open API chat against a
model that answers at once.

The model is the fake OpenAI server (test/fakes), run in a process of its own so that neither the
API server nor the benchmark's client threads share its interpreter lock. Its unscripted reply
echoes the query; the query here is about 100 tokens, so the answer streams in ~110 chunks.

What is measured:
1. Baseline: the same model call (system prompt, three rounds of history as the debug
   conversation sends them, the query) made directly with LangChain in this process, taken in
   turn with the API turns of 2. so that both see the same machine load.
2. Sequential turns on one app over real HTTP, the API served by gunicorn in a subprocess with
   the production options of docker-compose.yml (gthread, 32 threads): time to the first event
   (the `ping`), to the first answer chunk, and to `agent_end`; the platform's overhead is the
   difference from the baseline.
3. The server's CPU per turn, from /proc (gunicorn master and workers).
4. 20 and 50 simultaneous streams (each on its own app) through the same server.
5. SQL statements per turn, counted in-process (Flask test client) with a SQLAlchemy listener,
   the run thread's statements (storing the message, naming the conversation) included.
6. The open API (`POST /openapi/chat` with an API key, a published app, one end user's
   conversation): streamed and blocking turns taken in turn with baseline calls, and (7.) its
   SQL statements per turn. `--open-api-turns 0` leaves it out.

Timings are printed, never asserted; the summary puts the targets beside them. The server, the
fake model and this process share the machine's CPUs: under concurrency the figures are those of
the whole machine being busy.

Run from the repository root:
    .venv/bin/python -m test.benchmark.agent_chat [--turns 200] [--services]
"""

import argparse
import ctypes
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg2
from flask_migrate import upgrade
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from sqlalchemy import event

from config import PROJECT_ROOT, Profile
from config.settings import CelerySettings, DatabaseSettings, ProviderSettings, RedisSettings, SecuritySettings
from internal.aistack.resources.quotas import ResourceQuotas
from internal.core.agent import prompts
from internal.core.text_processing.tokens import count_tokens
from internal.extension.database import db
from internal.server import create_app
from internal.server.http import MIGRATIONS_DIR
from test.api.chat import chat_app, read_events
from test.benchmark.common import median, percentile
from test.conftest import POSTGRES_ADMIN_DSN, create_member, make_settings

API_KEY = "sk-bench-agent-chat"
REDIS_URL = "redis://127.0.0.1:6379/14"
PASSWORD = "Bench12345"
PRESET_PROMPT = "You are a benchmark assistant."
MODEL_CONFIG = {"provider": "openai", "model": "gpt-4o-mini", "parameters": {}}
QUERY = (
    "Please explain, in plain words for a product manager who is new to the field, how an agent "
    "application built on a large language model decides when to call a tool, how it keeps the "
    "earlier turns of a conversation in mind, and what a team should measure before shipping it: "
    "the time until the first words appear, the cost of every answer, how many answers can stream "
    "at the same moment without slowing down, and how often the answers are wrong, cut short or lost."
)
EXPECTED_ANSWER = "Echo: " + QUERY
# The debug conversation sends this many earlier rounds once it has them (the draft's default).
DIALOG_ROUND = 3
TERMINAL_EVENTS = {"agent_end", "stop", "error", "timeout"}
READY_TIMEOUT = 90.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

_FAKE_MODEL_MAIN = """
import sys
from test.fakes.openai_server import FakeOpenAI
fake = FakeOpenAI(api_key=sys.argv[1]).start()
print(fake.api_base, flush=True)
sys.stdin.read()  # serves until the benchmark closes the pipe (or dies)
"""


# --- subprocesses ---------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM it when the benchmark dies, even by SIGKILL (Linux)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _stop_process(process: subprocess.Popen, grace: float = 10.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class FakeModel:
    api_base: str
    pid: int


@contextmanager
def fake_model() -> Iterator[FakeModel]:
    process = subprocess.Popen(
        [sys.executable, "-c", _FAKE_MODEL_MAIN, API_KEY],
        cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=_die_with_parent,
    )  # fmt: skip
    try:
        api_base = process.stdout.readline().strip()
        if not api_base:
            raise RuntimeError("the fake model did not start")
        yield FakeModel(api_base, process.pid)
    finally:
        process.stdin.close()
        _stop_process(process)


@contextmanager
def bench_database(services: bool) -> Iterator[str | None]:
    """With --services, a PostgreSQL database of this run's own, dropped at the end."""
    if not services:
        yield None
        return
    name = f"llmops_bench_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(POSTGRES_ADMIN_DSN, connect_timeout=3)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_ADMIN_DSN.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def server_environment(storage_dir: Path, model: FakeModel, database_url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "STORAGE_DIR": str(storage_dir),
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_API_BASE": model.api_base,
        "LLM_MAX_RETRIES": "0",
        "LLMOPS_PROFILE": Profile.EMBEDDED.value,
        # The benchmark measures the platform, not the open API's limits (default 60/minute).
        "OPENAPI_RATE_LIMIT": "1000000/minute",
        "OPENAPI_MAX_CONCURRENT_RUNS": "1000",
    }
    if database_url:
        env.update({
            "LLMOPS_PROFILE": Profile.PRODUCTION.value,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": REDIS_URL,
            "CELERY_BROKER_URL": REDIS_URL,
            "JWT_SECRET_KEY": secrets.token_urlsafe(48),
            "DATA_SECRET_KEY": secrets.token_urlsafe(48),
        })  # fmt: skip
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class ApiServer:
    url: str
    pid: int
    email: str
    log: Path


@contextmanager
def api_server(storage_dir: Path, env: dict[str, str], workers: int, threads: int) -> Iterator[ApiServer]:
    """gunicorn as docker-compose.yml runs it, after `db upgrade` and `account create` (same env)."""
    log = storage_dir / "gunicorn.log"
    flask = [str(Path(sys.executable).with_name("flask")), "--app", "app.http.app"]
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    for command in (["db", "upgrade"], ["account", "create", "--email", email, "--password", PASSWORD]):
        done = subprocess.run(flask + command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(command[:2])} failed:\n{done.stderr[-3000:]}")
    port = _free_port()
    command = [
        str(Path(sys.executable).with_name("gunicorn")), "app.http.app:app", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
        "--timeout", "600", "--graceful-timeout", "30",
    ]  # fmt: skip
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        )
    server = ApiServer(f"http://127.0.0.1:{port}", process.pid, email, log)
    try:
        _wait_until_ready(server, process, workers)
        yield server
    finally:
        _stop_process(process, grace=35.0)


def _wait_until_ready(server: ApiServer, process: subprocess.Popen, workers: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{server.log.read_text()[-3000:]}")
        # Every worker has started and one answers; the others finish loading during the warm-up.
        booted = server.log.read_text(errors="replace").count("Booting worker")
        if booted >= workers and len(children_of(server.pid)) >= workers:
            try:
                httpx.get(server.url + "/apps", timeout=2.0, verify=False)
                return
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer in {READY_TIMEOUT:g}s:\n{server.log.read_text()[-3000:]}")


# --- CPU from /proc -------------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        # The command name (field 2) may hold spaces; everything after its ")" splits cleanly.
        return stat.read().rsplit(")", 1)[1].split()


def process_cpu_seconds(pid: int) -> float:
    fields = _stat_fields(pid)  # fields[0] is field 3 (state): utime is field 14, stime 15
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children_of(pid: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(_stat_fields(int(entry))[1]) == pid:
                    children.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return children


class ServerCpu:
    """CPU seconds of the gunicorn master and its workers; warns when the set of workers changed."""

    def __init__(self, master_pid: int):
        self.master_pid = master_pid
        self.pids = [master_pid, *children_of(master_pid)]
        self.started = self._total()

    def _total(self) -> float:
        total = 0.0
        for pid in self.pids:
            try:
                total += process_cpu_seconds(pid)
            except OSError:
                continue  # exited; reported by `seconds`
        return total

    def seconds(self) -> float:
        if sorted(self.pids[1:]) != sorted(children_of(self.master_pid)):
            print("  (warning: a gunicorn worker restarted during the run; its CPU is missing)")
        return self._total() - self.started


# --- one streamed turn over HTTP ------------------------------------------------------------------


@dataclass
class Turn:
    first_event: float | None = None  # seconds from sending the request
    first_chunk: float | None = None
    total: float | None = None  # until `agent_end`
    answer: str = ""
    ended: bool = False
    http_error: bool = False  # a status other than 200, or the connection failed
    error: str = ""

    @property
    def lost(self) -> bool:
        return self.answer != EXPECTED_ANSWER


def stream_turn(client: httpx.Client, url: str, token: str, request_body: dict | None = None) -> Turn:
    """One streamed chat over HTTP (the debug chat unless `request_body` says otherwise). While it
    streams, only byte searches mark the times (the first whole event, the first `agent_message`,
    the terminal event); the events are parsed after the end, so the benchmark's own CPU (it
    shares the machine with the server) stays small."""
    turn, body = Turn(), bytearray()
    started = time.perf_counter()
    try:
        headers = {"Authorization": f"Bearer {token}"}
        with client.stream("POST", url, json=request_body or {"query": QUERY}, headers=headers) as resp:
            if resp.status_code != 200:
                turn.http_error, turn.error = True, f"HTTP {resp.status_code}: {resp.read()[:200]!r}"
                return turn
            for data in resp.iter_raw():
                elapsed = time.perf_counter() - started
                # A marker may straddle two reads: search from a little before the new bytes.
                since = max(0, len(body) - 32)
                body += data
                if turn.first_event is None and body.find(b"\n\n") != -1:
                    turn.first_event = elapsed
                if turn.first_chunk is None and body.find(b"event: agent_message\n", since) != -1:
                    turn.first_chunk = elapsed
                if turn.total is None and _ends_with_terminal_event(body):
                    turn.total = elapsed
    except httpx.HTTPError as exc:
        turn.http_error, turn.error = True, f"{type(exc).__name__}: {exc}"
    parts = []
    for name, data in _sse_events(bytes(body)):
        if name == "agent_message":
            parts.append(data["answer"])
        elif name in TERMINAL_EVENTS:
            turn.ended = name == "agent_end"
            if not turn.ended:
                turn.error = f"{name}: {data.get('observation', '')}"[:200]
    turn.answer = "".join(parts)
    if not turn.ended:
        turn.total = None
    return turn


def _ends_with_terminal_event(body: bytearray) -> bool:
    """Whether the last whole event in `body` is a terminal one (the stream's last event)."""
    if not body.endswith(b"\n\n"):
        return False
    previous_end = body.rfind(b"\n\n", 0, len(body) - 2)
    start = 0 if previous_end == -1 else previous_end + 2
    return any(body.startswith(f"event: {name}\n".encode(), start) for name in TERMINAL_EVENTS)


def _sse_events(body: bytes) -> Iterator[tuple[str, dict]]:
    for block in body.decode(errors="replace").split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
        try:
            yield lines["event"], json.loads(lines["data"])
        except (KeyError, ValueError):
            continue  # empty, or cut off when the connection broke: the turn counts as unfinished


def blocking_turn(client: httpx.Client, key: str, body: dict) -> Turn:
    """One open API chat with `stream=false`: the time until the stored message arrives."""
    turn = Turn()
    started = time.perf_counter()
    try:
        resp = client.post("/openapi/chat", json={**body, "stream": False}, headers={"Authorization": f"Bearer {key}"})
        turn.total = time.perf_counter() - started
        payload = resp.json()
        if resp.status_code != 200 or payload.get("code") != "success":
            turn.http_error, turn.error = True, f"HTTP {resp.status_code}: {str(payload)[:200]}"
            return turn
        data = payload["data"]
        turn.answer, turn.ended = data["answer"], data["status"] == "normal"
        turn.error = "" if turn.ended else f"{data['status']}: {data['error']}"[:200]
    except httpx.HTTPError as exc:
        turn.http_error, turn.error = True, f"{type(exc).__name__}: {exc}"
    return turn


def http_client(base_url: str, timeout: float) -> httpx.Client:
    # Plain HTTP on loopback: without verify=False each client builds a TLS context (~20 ms CPU).
    return httpx.Client(base_url=base_url, timeout=timeout, verify=False)


def api_call(client: httpx.Client, method: str, path: str, token: str | None = None, body: dict | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    resp = client.request(method, path, json=body, headers=headers)
    payload = resp.json()
    if resp.status_code != 200 or payload.get("code") != "success":
        raise RuntimeError(f"{method} {path} failed: {resp.status_code} {payload}")
    return payload["data"]


def create_chat_app(client: httpx.Client, token: str, name: str) -> str:
    body = {"name": name, "icon": "https://cdn.example.com/app.png", "description": "agent chat benchmark"}
    app_id = api_call(client, "POST", "/apps", token, body)["id"]
    draft = {"model_config": MODEL_CONFIG, "preset_prompt": PRESET_PROMPT}
    api_call(client, "POST", f"/apps/{app_id}/draft-app-config", token, draft)
    return app_id


def open_api_app(client: httpx.Client, token: str, name: str) -> tuple[str, str]:
    """A published chat app and an active API key of its owner."""
    app_id = create_chat_app(client, token, name)
    api_call(client, "POST", f"/apps/{app_id}/publish", token)
    api_call(client, "POST", "/openapi/api-keys", token, {"is_active": True})
    return app_id, api_call(client, "GET", "/openapi/api-keys", token)["list"][0]["api_key"]


# --- measurements ---------------------------------------------------------------------------------


@dataclass
class Figures:
    """Seconds per call or turn; CPU in seconds per call or turn."""

    first_token: list[float] = field(default_factory=list)
    first_event: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    cpu: float = float("nan")
    failed: list[Turn] = field(default_factory=list)


def baseline_messages() -> list[BaseMessage]:
    history: list[BaseMessage] = []
    for _ in range(DIALOG_ROUND):
        history += [HumanMessage(QUERY), AIMessage(EXPECTED_ANSWER)]
    return [SystemMessage(prompts.system_prompt(PRESET_PROMPT, None)), *history, HumanMessage(QUERY)]


def baseline_model(model: FakeModel) -> ChatOpenAI:
    # Built as the product's model factory builds it, once.
    return ChatOpenAI(
        model="gpt-4o-mini", base_url=model.api_base, api_key=API_KEY, stream_usage=True, max_retries=0, timeout=120.0
    )


def baseline_call(llm: ChatOpenAI, messages: list[BaseMessage]) -> tuple[float, float, str]:
    """Seconds to the first token and to the end of the stream, and the answer."""
    started, first, text = time.perf_counter(), None, []
    for chunk in llm.stream(messages):
        if chunk.text:
            first = first or time.perf_counter() - started
            text.append(chunk.text)
    return first, time.perf_counter() - started, "".join(text)


def sign_in(server: ApiServer) -> str:
    with http_client(server.url, timeout=30.0) as client:
        body = {"email": server.email, "password": PASSWORD}
        return api_call(client, "POST", "/auth/password-login", body=body)["access_token"]


def measure_sequential(
    server: ApiServer, model: FakeModel, token: str, turns: int, warmup: int
) -> tuple[Figures, Figures, float]:
    """Baseline calls and API turns taken in turn, so that both see the same machine load.
    Returns the baseline, the API turns, and the fake model's CPU seconds per model call."""
    baseline, api = Figures(), Figures()
    llm, messages = baseline_model(model), baseline_messages()
    client_cpu = 0.0
    with http_client(server.url, timeout=60.0) as client:
        app_id = create_chat_app(client, token, "bench-sequential")
        url = f"/apps/{app_id}/conversations"
        for _ in range(warmup):
            baseline_call(llm, messages)
            stream_turn(client, url, token)
        server_cpu, fake_cpu = ServerCpu(server.pid), process_cpu_seconds(model.pid)
        for _ in range(turns):
            started = time.process_time()
            first, total, answer = baseline_call(llm, messages)
            client_cpu += time.process_time() - started
            if answer != EXPECTED_ANSWER:
                raise RuntimeError(f"unexpected baseline answer: {answer[:100]!r}")
            baseline.first_token.append(first)
            baseline.total.append(total)

            turn = stream_turn(client, url, token)
            if turn.error or not turn.ended or turn.lost:
                api.failed.append(turn)
                continue
            api.first_event.append(turn.first_event)
            api.first_token.append(turn.first_chunk)
            api.total.append(turn.total)
        api.cpu = server_cpu.seconds() / turns
        fake_cpu = (process_cpu_seconds(model.pid) - fake_cpu) / (2 * turns)
    baseline.cpu = client_cpu / turns
    return baseline, api, fake_cpu


def measure_open_api(server: ApiServer, model: FakeModel, token: str, turns: int, warmup: int) -> tuple[Figures, Figures, Figures]:
    """Baseline calls, streamed and blocking open API turns, taken in turn; all turns continue one
    end user's conversation, so they send the history a debug conversation sends."""
    baseline, streamed, blocking = Figures(), Figures(), Figures()
    llm, messages = baseline_model(model), baseline_messages()
    with http_client(server.url, timeout=60.0) as client:
        app_id, key = open_api_app(client, token, "bench-open-api")
        first = blocking_turn_data(client, key, {"app_id": app_id, "query": QUERY})
        body = {"app_id": app_id, "end_user_id": first["end_user_id"], "conversation_id": first["conversation_id"], "query": QUERY}
        for _ in range(warmup):
            baseline_call(llm, messages)
            stream_turn(client, "/openapi/chat", key, {**body, "stream": True})
            blocking_turn(client, key, body)
        for _ in range(turns):
            first_token, total, _ = baseline_call(llm, messages)
            baseline.first_token.append(first_token)
            baseline.total.append(total)
            turn = stream_turn(client, "/openapi/chat", key, {**body, "stream": True})
            if turn.error or not turn.ended or turn.lost:
                streamed.failed.append(turn)
            else:
                streamed.first_event.append(turn.first_event)
                streamed.first_token.append(turn.first_chunk)
                streamed.total.append(turn.total)
            turn = blocking_turn(client, key, body)
            if turn.error or not turn.ended or turn.lost:
                blocking.failed.append(turn)
            else:
                blocking.total.append(turn.total)
    return baseline, streamed, blocking


def blocking_turn_data(client: httpx.Client, key: str, body: dict) -> dict:
    return api_call(client, "POST", "/openapi/chat", key, {**body, "stream": False})


@dataclass
class ConcurrencyResult:
    streams: int
    rounds: int
    turns: list[Turn]
    wall: float  # seconds of all rounds
    cpu: float  # server CPU seconds per stream
    client_cpu: float  # this process's CPU seconds per stream (it shares the machine)

    def count(self, predicate) -> int:
        return sum(1 for turn in self.turns if predicate(turn))


def _concurrent_round(server: ApiServer, token: str, app_ids: list[str]) -> list[Turn]:
    results: list[Turn | None] = [None] * len(app_ids)
    barrier = threading.Barrier(len(app_ids))

    def one(index: int) -> None:
        # A connection of its own per stream, as separate browsers would have.
        with http_client(server.url, timeout=120.0) as client:
            barrier.wait()
            results[index] = stream_turn(client, f"/apps/{app_ids[index]}/conversations", token)

    threads = [threading.Thread(target=one, args=(i,), name=f"bench-stream-{i}") for i in range(len(app_ids))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [turn or Turn(error="no result") for turn in results]


def measure_concurrency(server: ApiServer, token: str, levels: list[int], rounds: int) -> list[ConcurrencyResult]:
    with http_client(server.url, timeout=60.0) as client:
        app_ids = [create_chat_app(client, token, f"bench-concurrent-{i}") for i in range(max(levels))]
    # Warms every worker (imports done on first use) and starts each app's debug conversation.
    _concurrent_round(server, token, app_ids)
    results = []
    for streams in levels:
        turns, cpu, client_cpu = [], ServerCpu(server.pid), time.process_time()
        started = time.perf_counter()
        for _ in range(rounds):
            turns += _concurrent_round(server, token, app_ids[:streams])
        wall = time.perf_counter() - started
        client_cpu = (time.process_time() - client_cpu) / len(turns)
        results.append(ConcurrencyResult(streams, rounds, turns, wall, cpu.seconds() / len(turns), client_cpu))
    return results


@dataclass
class SqlTurn:
    statements: list[tuple[str, str]]  # (thread name, statement)
    checkouts: int  # connections taken from the pool (each one pinged first on PostgreSQL)


def count_sql(model: FakeModel, database_url: str | None, turns: int, open_api: bool = False) -> list[SqlTurn]:
    """Statements per turn of one app's debug chat (or, `open_api`, of one end user's streamed
    open API conversation), in-process through the Flask test client."""
    with tempfile.TemporaryDirectory(prefix="llmops-bench-sql-") as directory:
        groups = {
            "providers": ProviderSettings(
                _env_file=None, openai_api_key=API_KEY, openai_api_base=model.api_base, llm_max_retries=0
            )
        }
        if database_url:
            groups.update(
                llmops_profile=Profile.PRODUCTION,
                database=DatabaseSettings(_env_file=None, sqlalchemy_database_uri=database_url),
                redis=RedisSettings(_env_file=None, redis_url=REDIS_URL),
                celery=CelerySettings(_env_file=None, celery_broker_url=REDIS_URL),
                security=SecuritySettings(_env_file=None, jwt_secret_key=secrets.token_urlsafe(48), data_secret_key=secrets.token_urlsafe(48)),
            )
        logging.disable(logging.INFO)  # the migrations' progress lines
        try:
            app = create_app(make_settings(Path(directory), **groups))
            with app.app_context():
                if database_url:
                    upgrade(directory=MIGRATIONS_DIR, revision="heads")
                    # What a server started on a migrated database (production's order) reads at start-up.
                    app.extensions["injector"].get(ResourceQuotas).load()
                engine = db.engine
        finally:
            logging.disable(logging.NOTSET)
            logging.getLogger().setLevel(logging.WARNING)
        client = app.test_client()
        member = create_member(app, client, name="Benchmark")
        app_id, _ = chat_app(client, member)
        url, headers, body = f"/apps/{app_id}/conversations", member.headers, {"query": QUERY}
        if open_api:
            assert client.post(f"/apps/{app_id}/publish", headers=member.headers).json["code"] == "success"
            client.post("/openapi/api-keys", json={"is_active": True}, headers=member.headers)
            key = client.get("/openapi/api-keys", headers=member.headers).json["data"]["list"][0]["api_key"]
            url, headers, body = "/openapi/chat", {"Authorization": f"Bearer {key}"}, {"app_id": app_id, "query": QUERY, "stream": True}

        current: dict = {"statements": [], "checkouts": 0}

        def on_statement(conn, cursor, statement, parameters, context, executemany):
            current["statements"].append((threading.current_thread().name, statement))

        def on_checkout(dbapi_connection, connection_record, connection_proxy):
            current["checkouts"] += 1

        event.listen(engine, "before_cursor_execute", on_statement)
        event.listen(engine, "checkout", on_checkout)
        counted = []
        try:
            for _ in range(turns):
                current["statements"], current["checkouts"] = [], 0
                events = read_events(client.post(url, json=body, headers=headers))
                _join_run(events[0]["data"]["task_id"])
                if open_api:  # the next turns continue this end user's conversation
                    body = {**body, "end_user_id": events[0]["data"]["end_user_id"], "conversation_id": events[0]["data"]["conversation_id"]}
                counted.append(SqlTurn(list(current["statements"]), current["checkouts"]))
        finally:
            event.remove(engine, "before_cursor_execute", on_statement)
            event.remove(engine, "checkout", on_checkout)
            with app.app_context():
                db.engine.dispose()
    return counted


def _join_run(task_id: str) -> None:
    """Waits until the turn's run (which names a new conversation after the stream ended) is
    over: its pool thread carries the task's name while it runs it."""
    name, deadline = f"run-{task_id}", time.monotonic() + 30.0
    while time.monotonic() < deadline and any(thread.name == name for thread in threading.enumerate()):
        time.sleep(0.001)


# --- printing -------------------------------------------------------------------------------------


def ms(value: float) -> str:
    return f"{value * 1000:.1f}"


def print_timings(rows: list[tuple[str, list[float]]]) -> None:
    print(f"  {'':<28}{'p50 ms':>10}{'p99 ms':>10}")
    for name, values in rows:
        print(f"  {name:<28}{ms(median(values)):>10}{ms(percentile(values, 0.99)):>10}")


@dataclass
class Overhead:
    """API minus baseline, in seconds."""

    first_token: float
    first_token_p99: float
    total: float
    total_p99: float


def print_sequential(baseline: Figures, api: Figures, fake_cpu: float) -> Overhead:
    print("\n1. baseline: LangChain ChatOpenAI.stream straight to the fake model (taken in turn with 2.)")
    print_timings([("first token", baseline.first_token), ("total", baseline.total)])
    print(f"  client CPU {ms(baseline.cpu)} ms per call; fake model CPU {ms(fake_cpu)} ms per call")

    print("\n2. sequential turns on one app over HTTP (httpx -> gunicorn)")
    print_timings([
        ("first event (ping)", api.first_event),
        ("first answer chunk", api.first_token),
        ("total (agent_end)", api.total),
    ])  # fmt: skip
    overhead = Overhead(
        first_token=median(api.first_token) - median(baseline.first_token),
        first_token_p99=percentile(api.first_token, 0.99) - percentile(baseline.first_token, 0.99),
        total=median(api.total) - median(baseline.total),
        total_p99=percentile(api.total, 0.99) - percentile(baseline.total, 0.99),
    )
    print(f"  overhead over the baseline: first token {ms(overhead.first_token)} ms p50 "
          f"({ms(overhead.first_token_p99)} p99), total {ms(overhead.total)} ms p50 ({ms(overhead.total_p99)} p99)")
    failure = f" (first: {api.failed[0].error or 'no agent_end or a wrong answer'})" if api.failed else ""
    print(f"  failed turns: {len(api.failed)}{failure}")

    print("\n3. server CPU (gunicorn master + workers, /proc)")
    print(f"  {ms(api.cpu)} ms per sequential turn (the baseline client spends {ms(baseline.cpu)} ms): "
          f"{api.cpu / baseline.cpu:.2f}x the baseline, a figure that holds while this machine's speed varies")
    return overhead


@dataclass
class OpenApiOverhead:
    first_token: float
    total: float
    blocking: float


def print_open_api(baseline: Figures, streamed: Figures, blocking: Figures) -> OpenApiOverhead:
    print("\n6. open API (POST /openapi/chat, API key, one end user's conversation), taken in turn with baseline calls")
    print_timings([
        ("baseline first token", baseline.first_token),
        ("baseline total", baseline.total),
        ("stream: first event (ping)", streamed.first_event),
        ("stream: first answer chunk", streamed.first_token),
        ("stream: total (agent_end)", streamed.total),
        ("blocking: stored message", blocking.total),
    ])  # fmt: skip
    overhead = OpenApiOverhead(
        first_token=median(streamed.first_token) - median(baseline.first_token),
        total=median(streamed.total) - median(baseline.total),
        blocking=median(blocking.total) - median(baseline.total),
    )
    print(f"  overhead over the baseline (p50): stream first token {ms(overhead.first_token)} ms, stream total "
          f"{ms(overhead.total)} ms, blocking {ms(overhead.blocking)} ms")  # fmt: skip
    failed = streamed.failed + blocking.failed
    failure = f" (first: {failed[0].error or 'no agent_end or a wrong answer'})" if failed else ""
    print(f"  failed turns: {len(failed)}{failure}")
    return overhead


def print_concurrency(results: list[ConcurrencyResult]) -> None:
    print("\n4. simultaneous streams, each on its own app (after one untimed round)")
    print(f"  {'streams':>7}{'turns':>7}{'HTTP err':>10}{'no end':>8}{'lost':>6}{'first ev p50':>14}{'p99':>8}"
          f"{'total p50':>11}{'p99':>8}{'CPU/turn':>10}{'client':>8}{'turns/s':>9}")  # fmt: skip
    for result in results:
        first_events = [turn.first_event for turn in result.turns if turn.first_event is not None]
        totals = [turn.total for turn in result.turns if turn.total is not None]
        print(
            f"  {result.streams:>7}{len(result.turns):>7}{result.count(lambda t: t.http_error):>10}"
            f"{result.count(lambda t: not t.ended):>8}{result.count(lambda t: t.lost):>6}"
            f"{ms(median(first_events)):>14}{ms(percentile(first_events, 0.99)):>8}"
            f"{ms(median(totals)):>11}{ms(percentile(totals, 0.99)):>8}"
            f"{ms(result.cpu):>10}{ms(result.client_cpu):>8}{len(result.turns) / result.wall:>9.1f}"
        )
        for error, count in Counter(turn.error for turn in result.turns if turn.error).most_common(3):
            print(f"      {count} x {error}")
    print("  (ms; CPU/turn is the server's, client this process's own; turns/s over all rounds' wall time)")


def statement_kind(statement: str) -> str:
    """`SELECT app`, `INSERT message`…: the verb and the table it reads or writes first."""
    words = statement.replace("\n", " ").split()
    upper = [word.upper() for word in words]
    verb = upper[0] if upper else "?"
    keyword = {"SELECT": "FROM", "DELETE": "FROM", "INSERT": "INTO", "UPDATE": "UPDATE"}.get(verb)
    if keyword in upper[:-1]:
        return f"{verb} {words[upper.index(keyword) + 1].strip(chr(34))}"
    return verb


def _thread_role(name: str) -> str:
    return "run" if name.startswith("run-") else "request"


def _by_thread(turn: SqlTurn) -> str:
    roles = Counter(_thread_role(name) for name, _ in turn.statements)
    return f"request thread {roles['request']}, run thread {roles['run']}"


def print_sql(counted: list[SqlTurn], show: bool) -> None:
    first, steady = counted[0], counted[1:] or counted
    per_turn = [len(turn.statements) for turn in steady]
    print(f"  first turn: {len(first.statements)} statements ({_by_thread(first)}), {first.checkouts} pool checkouts")
    print(f"  steady state (turns 2-{len(counted)}): median {median(per_turn):g} statements, "
          f"min {min(per_turn)}, max {max(per_turn)}; {_by_thread(steady[-1])}; "
          f"{median([turn.checkouts for turn in steady]):g} pool checkouts")  # fmt: skip
    if not show:
        return
    for title, turn in (("the first turn", first), ("a steady-state turn", steady[-1])):
        print(f"  statements of {title}:")
        kinds = Counter(f"[{_thread_role(name)}] {statement_kind(sql)}" for name, sql in turn.statements)
        for kind, count in kinds.items():
            print(f"    {count:>3} x {kind}")


def print_summary(
    profile: str,
    overhead: Overhead,
    baseline: Figures,
    sequential: Figures,
    counted: list[SqlTurn],
    concurrency: list[ConcurrencyResult],
    open_api: OpenApiOverhead | None = None,
    open_api_sql: list[SqlTurn] | None = None,
) -> None:
    steady_sql = median([len(turn.statements) for turn in counted[1:] or counted])
    first_sql = len(counted[0].statements)
    widest = max(concurrency, key=lambda result: result.streams)
    widest_first = median([turn.first_event for turn in widest.turns if turn.first_event is not None])
    lost = len(sequential.failed) + sum(result.count(lambda t: t.lost or not t.ended) for result in concurrency)
    rows = [
        ("overhead, first token p50", f"{ms(overhead.first_token)} ms", "<= 10 ms", overhead.first_token <= 0.010),
        ("overhead, total p50", f"{ms(overhead.total)} ms", "<= 10 ms", overhead.total <= 0.010),
        ("SQL statements, first turn", str(first_sql), "<= 10", first_sql <= 10),
        ("SQL statements, steady turn", f"{steady_sql:g}", "<= 10", steady_sql <= 10),
        (f"{widest.streams} streams, first event p50", f"{ms(widest_first)} ms", "<= 500 ms", widest_first <= 0.5),
        ("lost or unfinished answers", str(lost), "0", lost == 0),
    ]
    if open_api is not None:
        rows += [
            ("open API stream, first token p50", f"{ms(open_api.first_token)} ms", "<= 10 ms", open_api.first_token <= 0.010),
            ("open API stream, total p50", f"{ms(open_api.total)} ms", "<= 10 ms", open_api.total <= 0.010),
            ("open API blocking, total p50", f"{ms(open_api.blocking)} ms", "<= 10 ms", open_api.blocking <= 0.010),
        ]
    if open_api_sql:
        steady_open = median([len(turn.statements) for turn in open_api_sql[1:] or open_api_sql])
        rows.append(("open API SQL, steady turn", f"{steady_open:g}", "<= 10", steady_open <= 10))
    rows += [
        ("server CPU per turn", f"{ms(sequential.cpu)} ms", "-", None),
        ("  per baseline model call's CPU", f"{sequential.cpu / baseline.cpu:.2f}x", "-", None),
    ]
    print(f"\nsummary ({profile})")
    print(f"  {'figure':<32}{'measured':>12}{'target':>12}  met")
    for name, figure, target, met in rows:
        print(f"  {name:<32}{figure:>12}{target:>12}  {'-' if met is None else ('yes' if met else 'NO')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=200, help="timed sequential turns (and baseline calls)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed turns before the sequential run")
    parser.add_argument("--services", action="store_true", help="PostgreSQL and Redis instead of the embedded profile")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (docker-compose.yml: 2)")
    parser.add_argument("--threads", type=int, default=32, help="threads per gunicorn worker")
    parser.add_argument("--levels", type=int, nargs="+", default=[20, 50], help="simultaneous streams")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per concurrency level")
    parser.add_argument("--sql-turns", type=int, default=20, help="turns whose SQL statements are counted")
    parser.add_argument("--show-sql", action="store_true", help="list the statements of a first and a steady turn")
    parser.add_argument("--open-api-turns", type=int, default=50, help="timed open API turns of each mode (0: none)")
    args = parser.parse_args()
    # Cleanup (the finally blocks) must run on SIGTERM too, not only on Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    profile = "services" if args.services else "embedded"
    backends = "PostgreSQL, Redis" if args.services else "SQLite, in-process queue"
    print(f"profile: {profile} ({backends}); gunicorn gthread, {args.workers} workers x {args.threads} threads; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"query: {count_tokens(QUERY)} tokens, answer {count_tokens(EXPECTED_ANSWER)} tokens; "
          f"{args.turns} timed turns after {args.warmup} warm-up")  # fmt: skip

    with (
        fake_model() as model,
        bench_database(args.services) as database_url,
        tempfile.TemporaryDirectory(prefix="llmops-bench-chat-") as directory,
    ):
        env = server_environment(Path(directory), model, database_url)
        with api_server(Path(directory), env, args.workers, args.threads) as server:
            token = sign_in(server)
            baseline, sequential, fake_cpu = measure_sequential(server, model, token, args.turns, args.warmup)
            overhead = print_sequential(baseline, sequential, fake_cpu)
            concurrency = measure_concurrency(server, token, args.levels, args.rounds)
            print_concurrency(concurrency)
            open_api = None
            if args.open_api_turns:
                open_api = print_open_api(*measure_open_api(server, model, token, args.open_api_turns, args.warmup))

        print(f"\n5. SQL statements per turn (in-process, Flask test client, {args.sql_turns} turns of one app)")
        counted = count_sql(model, database_url, args.sql_turns)
        print_sql(counted, args.show_sql)
        open_api_sql = None
        if args.open_api_turns:
            print(f"\n7. SQL statements per open API turn (streamed, one end user's conversation, {args.sql_turns} turns)")
            open_api_sql = count_sql(model, database_url, args.sql_turns, open_api=True)
            print_sql(open_api_sql, args.show_sql)

    print_summary(profile, overhead, baseline, sequential, counted, concurrency, open_api, open_api_sql)


if __name__ == "__main__":
    main()
