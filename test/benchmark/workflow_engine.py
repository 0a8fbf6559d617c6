"""Speed of the workflow engine (internal/core/workflow), in-process, no HTTP in front of it.

What is measured:
1. Engine overhead per pass-through node: a chain start -> N template nodes -> end run by the
   engine, against the same N template renders called directly on the node runner (same inputs,
   no engine); the difference divided by the N + 2 nodes. Target: <= 1 ms per node.
2. A 10-node workflow (start, two templates, two parallel HTTP calls to a local server, an LLM
   call to the fake OpenAI server, the built-in calculator, a retrieval function, a code node,
   end): wall time of a run against the sum of its nodes' own latencies and against its critical
   path (the slowest chain of latencies from start to end); the overhead is wall minus path.
   The code node's runner is an in-process stand-in here (the sandbox has its own benchmark).
3. 20 runs of that workflow at once, from 20 threads: errors and wall times.

Timings are printed, never asserted.

Run from the repository root:
    .venv/bin/python -m test.benchmark.workflow_engine [--chain 50] [--runs 200]
"""

import argparse
import logging
import tempfile
import threading
import time
from pathlib import Path

from config.settings import ProviderSettings
from internal.core.language_model.catalog import LanguageModelCatalog
from internal.core.language_model.factory import LanguageModelFactory
from internal.core.tools.builtin_tools import BuiltinToolCatalog, BuiltinToolFactory
from internal.core.workflow import NodeStatus, WorkflowRunner
from internal.core.workflow.entities import (
    CodeNode,
    DatasetRetrievalNode,
    EndNode,
    Graph,
    HttpRequestNode,
    LLMNode,
    StartNode,
    TemplateTransformNode,
    ToolNode,
)
from internal.core.workflow.nodes import NODE_RUNNERS
from internal.extension.outbound_http import create_guarded_http_client
from test.benchmark.common import median, percentile
from test.conftest import make_settings
from test.core.workflows import declared, graph, literal, make_ports, ref
from test.fakes.http_server import Reply
from test.fakes.openai_server import FakeOpenAI
from test.fakes.scripted_server import ScriptedServer


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def template_chain(length: int) -> Graph:
    nodes = [StartNode(id="start", title="开始", inputs=[declared("text")])]
    previous, variable = "start", "text"
    for index in range(length):
        node_id = f"t{index}"
        nodes.append(TemplateTransformNode(id=node_id, title=node_id, template="{{ x }}", inputs=[ref(previous, variable, "x")]))
        previous, variable = node_id, "output"
    nodes.append(EndNode(id="end", title="结束", inputs=[ref(previous, variable, "text")]))
    ids = [node.id for node in nodes]
    return graph(nodes, *zip(ids, ids[1:]))


def pass_through_overhead(length: int, runs: int) -> None:
    workflow = template_chain(length)
    ports = make_ports()
    runner = WorkflowRunner(ports)
    templates = [node for node in workflow.nodes if node.node_type == "template_transform"]
    render = NODE_RUNNERS[templates[0].node_type]
    runner.run(workflow, {"text": "hello"})  # compile the template once, as a warm worker has
    engine, direct = [], []
    for _ in range(runs):
        # Taken in turn so both see the same machine load.
        started = time.perf_counter()
        result = runner.run(workflow, {"text": "hello"})
        engine.append(time.perf_counter() - started)
        assert result.status == NodeStatus.SUCCEEDED, result.error
        started = time.perf_counter()
        for node in templates:
            render.run(node, {"x": "hello"}, ports, 60.0)
        direct.append(time.perf_counter() - started)
    per_node = [(e - d) / (length + 2) for e, d in zip(engine, direct)]
    print(f"1. pass-through chain of {length} template nodes + start/end, {runs} runs")
    print(f"   engine run      p50 {ms(median(engine))}  p95 {ms(percentile(engine, 0.95))}")
    print(f"   direct renders  p50 {ms(median(direct))}  p95 {ms(percentile(direct, 0.95))}")
    print(f"   overhead / node p50 {ms(median(per_node))}  p95 {ms(percentile(per_node, 0.95))}  (target <= 1 ms)")


class StandInCodeRunner:
    def run(self, code: str, params: dict, timeout: float | None) -> dict:
        return {"total": params["n"] * 2}


def ten_node_workflow(http_url: str) -> Graph:
    model = {"provider": "openai", "model": "gpt-4o-mini", "parameters": {}}
    nodes = [
        StartNode(id="start", title="开始", inputs=[declared("query"), declared("n", "int")]),
        TemplateTransformNode(id="prompt", title="提示", template="问题：{{ q }}", inputs=[ref("start", "query", "q")]),
        HttpRequestNode(id="http_a", title="接口A", url=f"{http_url}/a", inputs=[ref("start", "query", "q", meta={"type": "params"})]),
        HttpRequestNode(id="http_b", title="接口B", url=f"{http_url}/b", method="post", inputs=[ref("start", "n", type="int", meta={"type": "body"})]),
        LLMNode(id="llm", title="模型", prompt="{{ p }}", model_config=model, inputs=[ref("prompt", "output", "p")]),
        ToolNode(id="calc", title="计算", provider_id="calculator", tool_id="calculator", inputs=[literal("expression", "6 * 7")]),
        DatasetRetrievalNode(id="kb", title="知识库", dataset_ids=["d1"], inputs=[ref("start", "query", "query")]),
        CodeNode(id="code", title="代码", code="def main(params): ...", inputs=[ref("start", "n", type="int")], outputs=[declared("total", "int")]),
        TemplateTransformNode(
            id="report",
            title="汇总",
            template="{{ a }}|{{ b }}|{{ answer }}|{{ calc }}|{{ docs }}|{{ total }}",
            inputs=[
                ref("http_a", "text", "a"),
                ref("http_b", "text", "b"),
                ref("llm", "output", "answer"),
                ref("calc", "text", "calc"),
                ref("kb", "combine_documents", "docs"),
                ref("code", "total", "total", type="int"),
            ],
        ),
        EndNode(id="end", title="结束", inputs=[ref("report", "output", "report")]),
    ]
    edges = [("start", "prompt"), ("prompt", "llm"), ("start", "http_a"), ("start", "http_b"), ("start", "calc"), ("start", "kb"), ("start", "code")]
    edges += [(source, "report") for source in ("llm", "http_a", "http_b", "calc", "kb", "code")] + [("report", "end")]
    return graph(nodes, *edges)


def critical_path(workflow: Graph, latencies: dict[str, float]) -> float:
    predecessors: dict[str, list[str]] = {node.id: [] for node in workflow.nodes}
    for edge in workflow.edges:
        predecessors[edge.target].append(edge.source)
    finish: dict[str, float] = {}

    def path_to(node_id: str) -> float:
        if node_id not in finish:
            finish[node_id] = latencies.get(node_id, 0.0) + max((path_to(p) for p in predecessors[node_id]), default=0.0)
        return finish[node_id]

    return path_to("end")


def workflow_runs(runs: int, concurrent: int) -> None:
    with tempfile.TemporaryDirectory(prefix="llmops-bench-") as directory:
        openai = FakeOpenAI(api_key="sk-bench-workflow").start()
        server = ScriptedServer(lambda request: Reply(200, "ok:" + request.path)).start()
        try:
            providers = ProviderSettings(_env_file=None, openai_api_key=openai.api_key, openai_api_base=openai.api_base, llm_max_retries=0)
            settings = make_settings(Path(directory), providers=providers)
            models = LanguageModelFactory(settings, LanguageModelCatalog.load())
            tools = BuiltinToolFactory(BuiltinToolCatalog.load(), settings, create_guarded_http_client(settings))
            ports = make_ports(
                chat_model=lambda config: models.create(config.provider, config.model, config.parameters),
                tool=lambda node: tools.create(node.provider_id, node.tool_id, node.params),
                retrieve=lambda dataset_ids, config, query: f"documents about {query}",
                code_runner=StandInCodeRunner(),
            )
            workflow = ten_node_workflow(server.url)
            runner = WorkflowRunner(ports)
            inputs = {"query": "工作流", "n": "21"}
            runner.run(workflow, inputs)  # warm: template compiled, model client built once
            walls, sums, paths = [], [], []
            for _ in range(runs):
                started = time.perf_counter()
                result = runner.run(workflow, inputs)
                walls.append(time.perf_counter() - started)
                assert result.status == NodeStatus.SUCCEEDED, result.error
                latencies = {r.node.id: r.latency for r in result.node_results}
                sums.append(sum(latencies.values()))
                paths.append(critical_path(workflow, latencies))
            overhead = [w - p for w, p in zip(walls, paths)]
            print(f"2. 10-node workflow (LLM, tool, retrieval, 2 HTTP in parallel, code stand-in, templates), {runs} runs")
            print(f"   wall                     p50 {ms(median(walls))}  p95 {ms(percentile(walls, 0.95))}")
            print(f"   sum of node latencies    p50 {ms(median(sums))}")
            print(f"   critical path latencies  p50 {ms(median(paths))}")
            print(f"   overhead (wall - path)   p50 {ms(median(overhead))}  p95 {ms(percentile(overhead, 0.95))}  per node p50 {ms(median(overhead) / 10)}")

            errors: list[str] = []
            concurrent_walls: list[float] = []
            lock = threading.Lock()
            gate = threading.Barrier(concurrent)

            def one_run():
                gate.wait()
                started = time.perf_counter()
                result = runner.run(workflow, inputs)
                with lock:
                    concurrent_walls.append(time.perf_counter() - started)
                    if result.status != NodeStatus.SUCCEEDED:
                        errors.append(result.error)

            threads = [threading.Thread(target=one_run) for _ in range(concurrent)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            total = time.perf_counter() - started
            print(f"3. {concurrent} runs at once: {concurrent - len(errors)} succeeded, {len(errors)} failed {errors[:3]}")
            print(f"   per run p50 {ms(median(concurrent_walls))}  max {ms(max(concurrent_walls))}; all done in {ms(total)}")
        finally:
            server.stop()
            openai.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chain", type=int, default=50, help="template nodes in the pass-through chain")
    parser.add_argument("--runs", type=int, default=200, help="runs of each measured workflow")
    parser.add_argument("--concurrent", type=int, default=20, help="simultaneous runs in part 3")
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.WARNING)
    pass_through_overhead(args.chain, args.runs)
    workflow_runs(args.runs, args.concurrent)


if __name__ == "__main__":
    main()
