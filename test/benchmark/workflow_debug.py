"""Speed of workflow debug runs through the API (llmops-api.md §11.10), under gunicorn as
docker-compose.yml runs it, against the fake model in a process of its own.

1. A 10-node workflow (start → llm → 3 template nodes ‖ code node ‖ http node → template → end)
   run in turn: the request's time to its last event against the sum of its nodes' own
   latencies (what the nodes did) and against its critical path (the longest chain of node
   latencies, what a perfect engine running branches at once would take). The difference is
   what the platform adds: HTTP, auth, validation, threads, events, storing the run.
2. 20 debug runs at once, several rounds: every run must end with the end node's event and the
   right result; failures are counted and printed.

Timings are printed, never asserted. Run from the repository root:
    .venv/bin/python -m test.benchmark.workflow_debug [--runs 50] [--concurrent 20] [--services]
"""

import argparse
import json
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from test.benchmark.agent_chat import api_call, api_server, bench_database, fake_model, http_client, ms, server_environment, sign_in
from test.benchmark.common import median, percentile
from test.fakes.http_server import Reply
from test.fakes.scripted_server import ScriptedServer

MODEL_CONFIG = {"provider": "openai", "model": "gpt-4o-mini", "parameters": {}}
QUERY = "How does a workflow run its branches?"


def _ref(node_id: str, name: str) -> dict:
    return {"type": "ref", "content": {"ref_node_id": node_id, "ref_var_name": name}}


def _var(name: str, value: dict | None = None, type_: str = "string", **fields) -> dict:
    variable = {"name": name, "description": "", "required": True, "type": type_, **fields}
    if value is not None:
        variable["value"] = value
    return variable


def _node(node_type: str, title: str, **fields) -> dict:
    base = {"id": str(uuid.uuid4()), "node_type": node_type, "title": title, "description": "", "position": {"x": 0, "y": 0}}
    return base | {"inputs": [], "outputs": []} | fields


def ten_node_graph(http_url: str) -> tuple[dict, int]:
    """The benchmark's graph and the `n` it doubles (its code node returns n * 2)."""
    start = _node("start", "start", inputs=[_var("query"), _var("n", type_="int")])
    llm = _node("llm", "llm", prompt="Answer: {{query}}", model_config=MODEL_CONFIG, inputs=[_var("query", _ref(start["id"], "query"))])
    templates = [
        _node("template_transform", f"template {i}", template="[{{ text }}]", inputs=[_var("text", _ref(llm["id"], "output"))])
        for i in range(3)
    ]
    code = _node(
        "code", "code", code="def main(params):\n    return {'double': params['n'] * 2}\n",
        inputs=[_var("n", _ref(start["id"], "n"), type_="int")], outputs=[_var("double", type_="int")],
    )  # fmt: skip
    http = _node("http_request", "http", url=http_url, method="get", inputs=[_var("n", _ref(start["id"], "n"), type_="int", meta={"type": "params"})])
    joined = _node(
        "template_transform", "join", template="{{ a }}{{ b }}{{ c }} {{ d }} {{ s }}",
        inputs=[_var(k, _ref(t["id"], "output")) for k, t in zip("abc", templates)]
        + [_var("d", _ref(code["id"], "double"), type_="int"), _var("s", _ref(http["id"], "status_code"), type_="int")],
    )  # fmt: skip
    end = _node("end", "end", outputs=[_var("result", _ref(joined["id"], "output"))])
    nodes = [start, llm, *templates, code, http, joined, end]
    pairs = [(start, llm), *[(llm, t) for t in templates], (start, code), (start, http), *[(t, joined) for t in templates]]
    pairs += [(code, joined), (http, joined), (joined, end)]
    edges = [
        {"id": str(uuid.uuid4()), "source": s["id"], "source_type": s["node_type"], "target": t["id"], "target_type": t["node_type"]}
        for s, t in pairs
    ]
    return {"nodes": nodes, "edges": edges}, 21


def critical_path(graph: dict, latency: dict[str, float]) -> float:
    """The longest chain of node latencies from start to end."""
    incoming: dict[str, list[str]] = {node["id"]: [] for node in graph["nodes"]}
    for edge in graph["edges"]:
        incoming[edge["target"]].append(edge["source"])
    done: dict[str, float] = {}

    def finish(node_id: str) -> float:
        if node_id not in done:
            done[node_id] = latency.get(node_id, 0.0) + max((finish(s) for s in incoming[node_id]), default=0.0)
        return done[node_id]

    return max(finish(node_id) for node_id in incoming)


@dataclass
class Run:
    total: float = 0.0
    node_sum: float = 0.0
    path: float = 0.0
    result: str = ""
    error: str = ""


def debug_run(client: httpx.Client, token: str, workflow_id: str, graph: dict, n: int) -> Run:
    run, latency = Run(), {}
    started = time.perf_counter()
    with client.stream(
        "POST", f"/workflows/{workflow_id}/debug", json={"query": QUERY, "n": n}, headers={"Authorization": f"Bearer {token}"}
    ) as resp:
        body = resp.read()
    run.total = time.perf_counter() - started
    if resp.status_code != 200 or not resp.headers.get("content-type", "").startswith("text/event-stream"):
        run.error = f"{resp.status_code} {body[:300]!r}"
        return run
    for block in body.decode().split("\n\n"):
        if not block.strip():
            continue
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        data = json.loads(lines["data"])
        if data["status"] != "succeeded":
            run.error = f"{data['node_data']['title']}: {data['error']}"
        latency[data["node_data"]["id"]] = data["latency"]
        if data["node_data"]["node_type"] == "end":
            run.result = data["outputs"].get("result", "")
    if len(latency) != len(graph["nodes"]) and not run.error:
        run.error = f"{len(latency)} of {len(graph['nodes'])} nodes reported"
    run.node_sum, run.path = sum(latency.values()), critical_path(graph, latency)
    return run


@dataclass
class Figures:
    runs: list[Run] = field(default_factory=list)

    def column(self, name: str) -> list[float]:
        return [getattr(run, name) for run in self.runs if not run.error]


def concurrent_round(url: str, token: str, workflow_id: str, graph: dict, n: int, count: int) -> list[Run]:
    results: list[Run] = [Run() for _ in range(count)]
    barrier = threading.Barrier(count)

    def one(index: int) -> None:
        with http_client(url, timeout=120.0) as client:
            barrier.wait()
            try:
                results[index] = debug_run(client, token, workflow_id, graph, n)
            except Exception as exc:  # counted, not raised: the figure is how many fail
                results[index] = Run(error=repr(exc))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="sequential debug runs measured")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--concurrent", type=int, default=20, help="debug runs at once")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of concurrent runs")
    parser.add_argument("--services", action="store_true", help="PostgreSQL + Redis instead of the embedded profile")
    args = parser.parse_args()

    http_api = ScriptedServer(lambda request: Reply(200, {"n": request.query.get("n", [""])[0]})).start()
    try:
        with tempfile.TemporaryDirectory() as storage, fake_model() as model, bench_database(args.services) as database_url:
            env = server_environment(Path(storage), model, database_url) | {"OUTBOUND_ALLOW_HOSTS": "127.0.0.1"}
            with api_server(Path(storage), env, workers=1, threads=64) as server:
                token = sign_in(server)
                graph, n = ten_node_graph(f"{http_api.url}/n")
                expected_tail = f" {n * 2} 200"
                with http_client(server.url, timeout=120.0) as client:
                    body = {"name": "bench", "tool_call_name": "bench_workflow", "icon": "https://cdn.example.com/w.png", "description": "benchmark"}
                    workflow_id = api_call(client, "POST", "/workflows", token, body)["id"]
                    api_call(client, "POST", f"/workflows/{workflow_id}/draft-graph", token, graph)
                    sequential = Figures()
                    for index in range(args.warmup + args.runs):
                        run = debug_run(client, token, workflow_id, graph, n)
                        if not run.error and not run.result.endswith(expected_tail):
                            run.error = f"wrong result {run.result!r}"
                        if index >= args.warmup:
                            sequential.runs.append(run)
                concurrent = [
                    concurrent_round(server.url, token, workflow_id, graph, n, args.concurrent) for _ in range(args.rounds)
                ]
    finally:
        http_api.stop()

    total, node_sum, path = sequential.column("total"), sequential.column("node_sum"), sequential.column("path")
    overhead = [t - p for t, p in zip(total, path)]
    print(f"10-node workflow, {len(total)} sequential debug runs ({'PostgreSQL + Redis' if args.services else 'embedded'})")
    for label, values in (("request total", total), ("sum of node latencies", node_sum), ("critical path of nodes", path), ("overhead (total - critical path)", overhead)):
        print(f"  {label:34s} p50 {ms(median(values))}  p95 {ms(percentile(values, 0.95))}")
    print(f"  overhead per node (p50)            {ms(median(overhead) / len(graph['nodes']))}")
    print(f"  total / critical path (p50)        {median(total) / median(path):.2f}x")
    failed = [run.error for run in sequential.runs if run.error]
    print(f"  failed: {len(failed)}" + (f" (first: {failed[0]})" if failed else ""))
    for index, runs in enumerate(concurrent, 1):
        errors = [run.error for run in runs if run.error or not run.result.endswith(expected_tail)]
        totals = [run.total for run in runs if not run.error]
        print(
            f"{args.concurrent} concurrent debug runs, round {index}: {len(runs) - len(errors)} ok, {len(errors)} failed;"
            f" p50 {ms(median(totals)) if totals else '-'}, max {ms(max(totals)) if totals else '-'}"
            + (f" (first failure: {errors[0]})" if errors else "")
        )


if __name__ == "__main__":
    main()
