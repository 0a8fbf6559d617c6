"""WeChat webhook under WeChat's rules: a slow model, many users, every message retried.

WeChat waits 5 s for a passive reply and retries a message up to three times. With a model
that takes `--model-delay` seconds (30 by default) to answer, `--messages` users (100) each send
one question, and every question arrives `--retries` times (3), `--retry-interval` seconds apart
(5, WeChat's schedule; as if every reply were lost on its way back), so that `--messages`
pushes arrive together in each wave; `--retry-interval 0` sends all copies at once. Measured, over real HTTP to the API served by a
threaded WSGI server in this process (embedded profile):

1. how long each push waits for its passive reply (target: every one within 4.8 s; they are all
   the holding reply, the model being slower than WeChat's limit);
2. how often the agent ran (target: once per question) and how the answers reached the users
   once ready: customer-service messages per user at the fake WeChat API (target: exactly one
   each), and the access-token requests that took (target: one, shared by every delivery).

Figures are printed, never asserted. Run from the repository root:
    .venv/bin/python -m test.benchmark.wechat_webhook [--messages 100] [--retries 3] [--model-delay 30]
"""

import argparse
import logging
import secrets
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from werkzeug.serving import make_server

from internal.server import create_app
from test.benchmark.common import api, median, percentile, sign_in
from test.conftest import _common_overrides, make_settings
from test.fakes.github import FakeGithub
from test.fakes.openai_server import ChatReply, FakeOpenAI
from test.fakes.wechat import FakeWechatApi, WechatPusher

HOLDING = "思考中，请回复“1”获取结果"
REPLY_LIMIT = 4.8


def build_app(client, member, fake_wechat: FakeWechatApi):
    marker = f"bench-{secrets.token_hex(6)}"
    app_id = api(client.post("/apps", json={"name": "WeChat bench", "icon": "https://cdn.example.com/a.png"}, headers=member.headers))["id"]
    draft = {"model_config": {"provider": "openai", "model": "gpt-4o-mini", "parameters": {}}, "preset_prompt": f"({marker})"}
    api(client.post(f"/apps/{app_id}/draft-app-config", json=draft, headers=member.headers))
    api(client.post(f"/apps/{app_id}/publish", headers=member.headers))
    wechat_app_id = "wx" + secrets.token_hex(8)
    account = fake_wechat.add_account(wechat_app_id, secrets.token_hex(16))
    token = secrets.token_urlsafe(16)
    body = {"wechat_app_id": wechat_app_id, "wechat_app_secret": account.secret, "wechat_token": token}
    api(client.post(f"/platform/{app_id}/wechat-config", json=body, headers=member.headers))
    return app_id, marker, account, token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--retries", type=int, default=3, help="copies of each message")
    parser.add_argument("--retry-interval", type=float, default=5.0, help="seconds between a message's copies")
    parser.add_argument("--model-delay", type=float, default=30.0)
    args = parser.parse_args()

    fake_llm = FakeOpenAI(api_key="sk-bench").start()
    fake_wechat = FakeWechatApi().start()
    fake_github = FakeGithub("id", "secret").start()
    with tempfile.TemporaryDirectory(prefix="llmops-bench-") as directory:
        app = create_app(make_settings(Path(directory), **_common_overrides(fake_github, fake_llm, fake_wechat)))
        logging.getLogger().setLevel(logging.WARNING)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"

        client, member = sign_in(app)
        app_id, marker, account, token = build_app(client, member, fake_wechat)
        pusher = WechatPusher(client, app_id, token, account.app_id)
        # Warm-up: the first turn of a process loads the agent's libraries (seconds of CPU).
        pusher.say(f"o{secrets.token_hex(14)}", "warm-up")
        fake_llm.reset_chat()
        fake_llm.script_chat(marker, *[ChatReply(text=f"answer {i}", delay=args.model_delay) for i in range(args.messages)])
        openids = [f"o{secrets.token_hex(14)}" for _ in range(args.messages)]
        pushes = [(openid, pusher.text_xml(openid, f"question {i}")) for i, openid in enumerate(openids)]

        waits: list[float] = []
        replies: Counter = Counter()
        lock = threading.Lock()
        start = threading.Barrier(len(pushes) * args.retries + 1)

        def push(xml: str, copy: int) -> None:
            with httpx.Client(timeout=60) as http:
                start.wait()
                time.sleep(copy * args.retry_interval)
                began = time.monotonic()
                resp = http.post(f"{base}/wechat/{app_id}", params=pusher.query(), content=xml.encode())
                took = time.monotonic() - began
            text = "success" if resp.text == "success" else ("holding" if HOLDING in resp.text else resp.text[:60])
            with lock:
                waits.append(took)
                replies[f"{resp.status_code} {text}"] += 1

        threads = [threading.Thread(target=push, args=(xml, copy)) for _, xml in pushes for copy in range(args.retries)]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        start.wait()
        for thread in threads:
            thread.join()
        print(f"{len(threads)} pushes ({args.messages} messages x {args.retries}), model {args.model_delay:g} s")
        print(
            f"passive reply wait: p50 {median(waits):.2f} s, p99 {percentile(waits, 0.99):.2f} s, "
            f"max {max(waits):.2f} s; within {REPLY_LIMIT} s: {sum(w <= REPLY_LIMIT for w in waits)}/{len(waits)}"
        )
        print(f"replies: {dict(replies)}")

        deadline = started + args.model_delay + 60
        while time.monotonic() < deadline and len(fake_wechat.sent_texts(account.app_id)) < args.messages:
            time.sleep(0.5)
        time.sleep(2)  # anything sent twice would show up now
        per_user = Counter(fake_wechat.sent_texts(account.app_id, openid).__len__() for openid in openids)
        print(f"agent runs: {len(fake_llm.chat_requests(marker))} for {args.messages} messages")
        print(f"customer-service messages per user: {dict(sorted(per_user.items()))} (target: {{1: {args.messages}}})")
        print(f"access-token requests: {len(fake_wechat.token_requests(account.app_id))}")
        print(f"all answers delivered after {time.monotonic() - started:.1f} s")
        server.shutdown()
    for fake in (fake_llm, fake_wechat, fake_github):
        fake.stop()


if __name__ == "__main__":
    main()
