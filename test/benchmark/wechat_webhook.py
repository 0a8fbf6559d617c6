"""WeChat webhook under WeChat's rules: a slow model, many users, every message retried.

WeChat waits 5 s for a passive reply and retries a message up to three times. With a model
that takes `--model-delay` seconds (30 by default) to answer, `--messages` users (100) each send
one question, and every question arrives `--retries` times (3), `--retry-interval` seconds apart
(5, WeChat's schedule; as if every reply were lost on its way back), so that `--messages`
pushes arrive together in each wave; `--retry-interval 0` sends all copies at once.

The API runs under gunicorn in a subprocess as in production (gthread; a webhook request holds
a thread for up to WECHAT_REPLY_WAIT, so each worker's threads must cover the messages that
arrive together: connections are not spread evenly over workers); the fake model and the fake WeChat API run in this process. `--services` uses
PostgreSQL and Redis instead of the embedded profile. Measured:

1. how long each push waits for its passive reply (target: every one within 4.8 s; they are all
   the holding reply while the model is slower than WeChat's limit);
2. how often the agent ran (target: once per question) and how each answer reached its user:
   passive replies carrying it plus customer-service messages at the fake WeChat API (target:
   exactly one per user), and the access-token requests that took (target: one for all).

Figures are printed, never asserted. Run from the repository root:
    .venv/bin/python -m test.benchmark.wechat_webhook [--messages 100] [--retries 3] [--model-delay 30] [--services]
"""

import argparse
import os
import secrets
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from pkg.wechat import parse_message
from test.benchmark.agent_chat import PASSWORD, REDIS_URL, api_server, bench_database, server_environment
from test.benchmark.common import median, percentile
from test.fakes.openai_server import ChatReply, FakeOpenAI
from test.fakes.wechat import FakeWechatApi, WechatPusher

HOLDING = "思考中，请回复“1”获取结果"
REPLY_LIMIT = 4.8
ICON = "https://cdn.example.com/app.png"


def call(http: httpx.Client, method: str, path: str, **kwargs):
    resp = http.request(method, path, **kwargs)
    body = resp.json()
    if resp.status_code != 200 or body.get("code") != "success":
        raise RuntimeError(f"{method} {path} failed: {resp.status_code} {body}")
    return body["data"]


def build_app(http: httpx.Client, fake_wechat: FakeWechatApi) -> tuple[str, str, str, str]:
    """A published app on the fake model with an official account; its id, model marker,
    WeChat app id and token."""
    marker = f"bench-{secrets.token_hex(6)}"
    app_id = call(http, "POST", "/apps", json={"name": "WeChat bench", "icon": ICON})["id"]
    draft = {"model_config": {"provider": "openai", "model": "gpt-4o-mini", "parameters": {}}, "preset_prompt": f"({marker})"}
    call(http, "POST", f"/apps/{app_id}/draft-app-config", json=draft)
    call(http, "POST", f"/apps/{app_id}/publish")
    account = fake_wechat.add_account("wx" + secrets.token_hex(8), secrets.token_hex(16))
    token = secrets.token_urlsafe(16)
    body = {"wechat_app_id": account.app_id, "wechat_app_secret": account.secret, "wechat_token": token}
    call(http, "POST", f"/platform/{app_id}/wechat-config", json=body)
    return app_id, marker, account.app_id, token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--retries", type=int, default=3, help="copies of each message")
    parser.add_argument("--retry-interval", type=float, default=5.0, help="seconds between a message's copies")
    parser.add_argument("--model-delay", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=128, help="threads per gunicorn worker")
    parser.add_argument("--services", action="store_true", help="PostgreSQL and Redis instead of the embedded profile")
    args = parser.parse_args()

    fake_llm = FakeOpenAI(api_key="sk-bench-wechat").start()
    fake_wechat = FakeWechatApi().start()
    with tempfile.TemporaryDirectory(prefix="llmops-bench-") as directory, bench_database(args.services) as database_url:
        env = server_environment(Path(directory), fake_llm, database_url)
        env.update({"OPENAI_API_KEY": fake_llm.api_key, "WECHAT_API_BASE": fake_wechat.url, "DATA_SECRET_KEY": secrets.token_urlsafe(48)})
        if database_url:
            # A Redis database of this benchmark's own: dedupe keys and tokens must start empty.
            env.update({"REDIS_URL": REDIS_URL, "CELERY_BROKER_URL": REDIS_URL})
        with api_server(Path(directory), env, args.workers, args.threads) as server:
            run(args, server, fake_llm, fake_wechat)
    fake_llm.stop()
    fake_wechat.stop()


def run(args, server, fake_llm: FakeOpenAI, fake_wechat: FakeWechatApi) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        login = call(http, "POST", "/auth/password-login", json={"email": server.email, "password": PASSWORD})
        http.headers["Authorization"] = f"Bearer {login['access_token']}"
        app_id, marker, wechat_app_id, token = build_app(http, fake_wechat)
        pusher = WechatPusher(None, app_id, token, wechat_app_id)
        # Warm-up: each worker's first turn loads the agent's libraries (seconds of CPU).
        for _ in range(args.workers * 2):
            http.post(f"/wechat/{app_id}", params=pusher.query(), content=pusher.text_xml(f"o{secrets.token_hex(14)}", "warm-up").encode())
    fake_llm.reset_chat()
    fake_llm.script_chat(marker, *[ChatReply(text=f"answer {i}", delay=args.model_delay) for i in range(args.messages)])

    openids = [f"o{secrets.token_hex(14)}" for _ in range(args.messages)]
    pushes = [(openid, pusher.text_xml(openid, f"question {i}")) for i, openid in enumerate(openids)]
    waits: list[float] = []
    replies: Counter = Counter()
    passive_answers: Counter = Counter()
    lock = threading.Lock()
    start = threading.Barrier(len(pushes) * args.retries + 1)

    def push(openid: str, xml: str, copy: int) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            start.wait()
            time.sleep(copy * args.retry_interval)
            began = time.monotonic()
            resp = http.post(f"/wechat/{app_id}", params=pusher.query(), content=xml.encode())
            took = time.monotonic() - began
        if resp.status_code != 200:
            kind = f"HTTP {resp.status_code}"
        elif resp.text == "success":
            kind = "success (no reply)"
        else:
            content = parse_message(resp.content)["Content"]
            kind = "holding" if content == HOLDING else "answer"
        with lock:
            waits.append(took)
            replies[kind] += 1
            if kind == "answer":
                passive_answers[openid] += 1

    threads = [threading.Thread(target=push, args=(openid, xml, copy)) for openid, xml in pushes for copy in range(args.retries)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join()
    print(f"{len(threads)} pushes: {args.messages} messages x {args.retries}, {args.retry_interval:g} s apart; model {args.model_delay:g} s")
    print(
        f"gunicorn gthread {args.workers} workers x {args.threads} threads, "
        f"{'PostgreSQL + Redis' if args.services else 'embedded'}; machine load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    print(
        f"passive reply wait: p50 {median(waits):.2f} s, p99 {percentile(waits, 0.99):.2f} s, "
        f"max {max(waits):.2f} s; within {REPLY_LIMIT} s: {sum(w <= REPLY_LIMIT for w in waits)}/{len(waits)}"
    )
    print(f"replies: {dict(replies)}")

    def delivered() -> Counter:
        return Counter({o: passive_answers[o] + len(fake_wechat.sent_texts(wechat_app_id, o)) for o in openids})

    deadline = started + args.model_delay + 60
    while time.monotonic() < deadline and sum(1 for n in delivered().values() if n) < args.messages:
        time.sleep(0.5)
    time.sleep(2)  # anything delivered twice would show up now
    per_user = Counter(delivered().values())
    print(f"agent runs: {len(fake_llm.chat_requests(marker))} for {args.messages} messages")
    print(f"answers delivered per user (passive + customer-service): {dict(sorted(per_user.items()))} (target: {{1: {args.messages}}})")
    print(f"  of which customer-service messages: {len(fake_wechat.sent_texts(wechat_app_id))}")
    print(f"access-token requests: {len(fake_wechat.token_requests(wechat_app_id))}")
    print(f"all answers delivered {time.monotonic() - started - 2:.1f} s after the first push")


if __name__ == "__main__":
    main()
