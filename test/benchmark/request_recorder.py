"""What the request-recording middleware (AI Stack resource management) costs per request, on
the embedded profile:
- `record` alone (the in-memory aggregation: a bucket index, a lock, a few additions), over
  many routes and latencies;
- both hooks as Flask runs them on a matched route (before-request timestamp, after-request
  rule look-up and record), inside a real request context;
- a whole request through the test client to a small route, with and without the hooks, for
  scale;
- one flush of a window's figures to the database (done off the request path by a thread).

Run from the repository root:
    .venv/bin/python -m test.benchmark.request_recorder [--requests 200000]
"""

import argparse
import random
import time

from flask import request

from internal.aistack.resources.recorder import RequestRecorder
from test.benchmark.common import embedded_app


def per_call_ns(seconds: float, calls: int) -> float:
    return seconds * 1e9 / calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200_000)
    args = parser.parse_args()
    n = args.requests
    with embedded_app() as app:
        recorder = app.extensions["injector"].get(RequestRecorder)
        rules = [r.rule for r in app.url_map.iter_rules()][:200]
        samples = [(random.choice(rules), random.choice(("GET", "POST")), random.choice((200, 200, 200, 404, 500)),
                    random.lognormvariate(2, 1.5)) for _ in range(10_000)]  # fmt: skip
        recorder.flush()

        started = time.perf_counter()
        for i in range(n):
            rule, method, status, latency = samples[i % len(samples)]
            recorder.record(rule, method, status, latency)
        record_ns = per_call_ns(time.perf_counter() - started, n)
        keys = len(recorder._pending)

        flush_started = time.perf_counter()
        recorder.flush()
        flush_ms = (time.perf_counter() - flush_started) * 1000

        response = app.response_class("ok")
        with app.test_request_context("/aistack/resources/api/resources/metrics", base_url="http://localhost"):
            request.url_rule = app.url_map.bind("localhost").match("/aistack/resources/api/resources/metrics", return_rule=True)[0]
            started = time.perf_counter()
            for _ in range(n):
                recorder._started()
                recorder._finished(response)
            hooks_ns = per_call_ns(time.perf_counter() - started, n)
        recorder.flush()

        client = app.test_client()
        whole = n // 100
        started = time.perf_counter()
        for _ in range(whole):
            client.get("/metrics/unknown-path")  # a 404: the shortest path through every hook
        with_hooks_us = (time.perf_counter() - started) * 1e6 / whole

    print(f"record():                    {record_ns:8.0f} ns/request  ({n} requests over {keys} route×bucket keys)")
    print(f"before+after hooks:          {hooks_ns:8.0f} ns/request")
    print(f"a whole 404 request (client): {with_hooks_us:7.1f} µs/request, of which the recorder is {hooks_ns / 10 / with_hooks_us:.2f}%")
    print(f"flush of {keys} keys:          {flush_ms:8.1f} ms (a background thread, every AISTACK_RESOURCES_FLUSH_INTERVAL s)")


if __name__ == "__main__":
    main()
