"""Speed of the OpenAI-compatible `POST /v1/chat/completions` (streamed and blocking) against a model
that answers at once: the platform's overhead over the same model call made directly.

The set-up is the debug chat benchmark's (test/benchmark/agent_chat.py, whose pieces this reuses):
the fake OpenAI server in a process of its own, the API under gunicorn as docker-compose.yml runs
it, and baseline calls taken in turn with the API turns so that both see the same machine load.
Each turn sends three earlier rounds in `messages` (the history of a new conversation), as the
baseline does. Timings are printed, never asserted.

Run from the repository root:
    .venv/bin/python -m test.benchmark.openai_compat_chat [--turns 200] [--services]
"""

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from test.benchmark.agent_chat import (
    DIALOG_ROUND,
    EXPECTED_ANSWER,
    QUERY,
    ServerCpu,
    api_call,
    api_server,
    baseline_call,
    baseline_messages,
    baseline_model,
    bench_database,
    create_chat_app,
    fake_model,
    http_client,
    ms,
    print_timings,
    server_environment,
    sign_in,
)
from test.benchmark.common import median

FIRST_CONTENT = b'"delta":{"content":'


@dataclass
class Timings:
    first_token: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def request_body(model: str, stream: bool) -> dict:
    history = []
    for _ in range(DIALOG_ROUND):
        history += [{"role": "user", "content": QUERY}, {"role": "assistant", "content": EXPECTED_ANSWER}]
    return {"model": model, "messages": [*history, {"role": "user", "content": QUERY}], "stream": stream}


def streamed_turn(client: httpx.Client, key: str, model: str) -> tuple[float | None, float | None, str]:
    """Seconds to the first content chunk and to `[DONE]`, and the answer (parsed after the end)."""
    started, first, body = time.perf_counter(), None, bytearray()
    headers = {"Authorization": f"Bearer {key}"}
    with client.stream("POST", "/v1/chat/completions", json=request_body(model, True), headers=headers) as resp:
        if resp.status_code != 200:
            return None, None, f"HTTP {resp.status_code}: {resp.read()[:200]!r}"
        for data in resp.iter_raw():
            since = max(0, len(body) - 32)
            body += data
            if first is None and body.find(FIRST_CONTENT, since) != -1:
                first = time.perf_counter() - started
    total = time.perf_counter() - started
    parts = []
    for block in body.decode().split("\n\n"):
        if block.startswith("data: {"):
            chunk = json.loads(block[len("data: "):])
            parts += [choice["delta"].get("content") or "" for choice in chunk.get("choices", [])]
    return first, total if body.endswith(b"data: [DONE]\n\n") else None, "".join(parts)


def blocking_turn(client: httpx.Client, key: str, model: str) -> tuple[float | None, str]:
    started = time.perf_counter()
    resp = client.post("/v1/chat/completions", json=request_body(model, False), headers={"Authorization": f"Bearer {key}"})
    total = time.perf_counter() - started
    if resp.status_code != 200:
        return None, f"HTTP {resp.status_code}: {resp.text[:200]}"
    return total, resp.json()["choices"][0]["message"]["content"]


def published_app_and_key(client: httpx.Client, token: str) -> tuple[str, str]:
    app_id = create_chat_app(client, token, "bench-openai-compat")
    api_call(client, "POST", f"/apps/{app_id}/publish", token)
    api_call(client, "POST", "/openapi/api-keys", token, {"is_active": True})
    key = api_call(client, "GET", "/openapi/api-keys", token)["list"][0]["api_key"]
    return app_id, key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=200, help="timed turns of each kind (and baseline calls)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed turns first")
    parser.add_argument("--services", action="store_true", help="PostgreSQL and Redis instead of the embedded profile")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (docker-compose.yml: 2)")
    parser.add_argument("--threads", type=int, default=32, help="threads per gunicorn worker")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    profile = "services" if args.services else "embedded"
    print(f"profile: {profile}; gunicorn gthread, {args.workers} workers x {args.threads} threads; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; {args.turns} timed turns")  # fmt: skip

    baseline, streamed, blocking = Timings(), Timings(), Timings()
    with (
        fake_model() as model,
        bench_database(args.services) as database_url,
        tempfile.TemporaryDirectory(prefix="llmops-bench-v1-") as directory,
    ):
        env = server_environment(Path(directory), model, database_url)
        with api_server(Path(directory), env, args.workers, args.threads) as server:
            token = sign_in(server)
            llm, messages = baseline_model(model), baseline_messages()
            with http_client(server.url, timeout=60.0) as client:
                app_id, key = published_app_and_key(client, token)
                for _ in range(args.warmup):
                    baseline_call(llm, messages)
                    streamed_turn(client, key, app_id)
                    blocking_turn(client, key, app_id)
                server_cpu = ServerCpu(server.pid)
                for _ in range(args.turns):
                    first, total, _ = baseline_call(llm, messages)
                    baseline.first_token.append(first)
                    baseline.total.append(total)
                    first, total, answer = streamed_turn(client, key, app_id)
                    if total is None or answer != EXPECTED_ANSWER:
                        streamed.failed.append(answer[:200])
                    else:
                        streamed.first_token.append(first)
                        streamed.total.append(total)
                    total, answer = blocking_turn(client, key, app_id)
                    if total is None or answer != EXPECTED_ANSWER:
                        blocking.failed.append(answer[:200])
                    else:
                        blocking.total.append(total)
                cpu = server_cpu.seconds() / (2 * args.turns)

    print("\n1. baseline: LangChain ChatOpenAI.stream straight to the fake model")
    print_timings([("first token", baseline.first_token), ("total", baseline.total)])
    print("\n2. POST /v1/chat/completions over HTTP (httpx -> gunicorn)")
    print_timings([
        ("stream: first content", streamed.first_token),
        ("stream: total ([DONE])", streamed.total),
        ("blocking: total", blocking.total),
    ])  # fmt: skip
    print(f"  failed turns: streamed {len(streamed.failed)}, blocking {len(blocking.failed)}"
          + (f" (first: {(streamed.failed or blocking.failed)[0]!r})" if streamed.failed or blocking.failed else ""))
    print(f"  server CPU {ms(cpu)} ms per turn")
    print("\nsummary (target: overhead ≤ 10 ms p50, as the debug chat)")
    if streamed.total and blocking.total:
        print(f"  stream first content  {ms(median(streamed.first_token) - median(baseline.first_token)):>8} ms over the baseline")
        print(f"  stream total          {ms(median(streamed.total) - median(baseline.total)):>8} ms over the baseline")
        print(f"  blocking total        {ms(median(blocking.total) - median(baseline.total)):>8} ms over the baseline")


if __name__ == "__main__":
    main()
