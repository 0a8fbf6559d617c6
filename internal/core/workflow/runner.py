"""Runs a validated workflow graph: each node as soon as all its predecessors finished, on a
thread pool (independent branches overlap), each within its timeout, reporting each node's result
as it finishes. The first failed node fails the run; nodes not started by then never run."""

import logging
import math
import time
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from internal.exception import ValidateErrorException

from .entities import BaseNode, Graph, NodeType
from .nodes import NODE_RUNNERS, NodeError
from .ports import WorkflowPorts
from .variables import CoercionError, UnresolvedReference, coerce_value, empty_value, resolve_variable

logger = logging.getLogger(__name__)


class NodeStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass
class NodeResult:
    node: BaseNode
    status: NodeStatus
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    error: str = ""
    latency: float = 0.0  # seconds
    id: uuid.UUID = field(default_factory=uuid.uuid4)  # the event's id

    def event_data(self) -> dict:
        """The `data` of a `workflow` SSE event (§11.10); built only when asked for."""
        node_data = self.node.model_dump(mode="json")
        node_data["type"] = node_data["node_type"]
        if "language_model_config" in node_data:
            node_data.setdefault("model_config", node_data["language_model_config"])
        return {
            "id": str(self.id),
            "node_data": node_data,
            "status": self.status.value,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "error": self.error,
            "latency": self.latency,
        }


@dataclass
class WorkflowResult:
    status: NodeStatus
    outputs: dict[str, Any]  # the end node's outputs: the run's result
    error: str
    node_results: list[NodeResult]  # in the order the nodes finished
    latency: float


def coerce_inputs(graph: Graph, raw: dict[str, Any]) -> dict[str, Any]:
    """The start node's declared inputs read from `raw` by their types ("3" → 3, "true" → True);
    unknown keys are dropped. Raises ValidateErrorException naming `inputs.<name>`."""
    if not isinstance(raw, dict):
        raise ValidateErrorException("inputs: 必须是对象")
    start = next((node for node in graph.nodes if node.node_type == NodeType.START), None)
    return {} if start is None else _coerce_start_inputs(start, raw)


def _coerce_start_inputs(start: BaseNode, raw: dict[str, Any]) -> dict[str, Any]:
    coerced: dict[str, Any] = {}
    for var in start.inputs:
        value = raw.get(var.name)
        try:
            value = coerce_value(var.type, value)
        except CoercionError as exc:
            raise ValidateErrorException(f"inputs.{var.name}: {exc}") from None
        if value is None or (isinstance(value, str) and not value.strip()):
            if var.required:
                raise ValidateErrorException(f"inputs.{var.name}: 不能为空")
            if value is None:
                value = empty_value(var.type)
        coerced[var.name] = value
    return coerced


@dataclass
class _Running:
    node: BaseNode
    inputs: dict[str, Any]
    started: float
    deadline: float
    timeout_error: str


class WorkflowRunner:
    """`run` takes the run's raw or already coerced inputs (the start node coerces them again, so a
    bad value fails the start node) and `deadline`, a `time.monotonic()` value no node runs past.
    `on_node` is called on the thread that called `run`, once per finished node, in the order
    nodes finish, before the next result is looked at (an exception it raises ends the run and
    propagates); a node's work runs on a pool thread inside `ports.node_context()`."""

    def __init__(self, ports: WorkflowPorts):
        self.ports = ports

    def run(
        self,
        graph: Graph,
        inputs: dict[str, Any],
        on_node: Callable[[NodeResult], None] = lambda result: None,
        deadline: float | None = None,
    ) -> WorkflowResult:
        started = time.monotonic()
        run = _Run(self.ports, graph, inputs, on_node, math.inf if deadline is None else deadline)
        try:
            run.execute()
        finally:
            # Nodes still running after a failure are abandoned (their threads finish on their own).
            run.executor.shutdown(wait=False, cancel_futures=True)
        end = next((r for r in run.results if r.node.node_type == NodeType.END), None)
        return WorkflowResult(
            status=NodeStatus.FAILED if run.error else NodeStatus.SUCCEEDED,
            outputs=end.outputs if end is not None and not run.error else {},
            error=run.error,
            node_results=run.results,
            latency=time.monotonic() - started,
        )


class _Run:
    """The state of one run, owned by the coordinating thread."""

    def __init__(self, ports: WorkflowPorts, graph: Graph, inputs: dict, on_node: Callable, deadline: float):
        self.ports, self.graph, self.raw_inputs, self.on_node, self.deadline = ports, graph, inputs, on_node, deadline
        self.nodes = {node.id: node for node in graph.nodes}
        self.successors: dict[str, list[str]] = {node_id: [] for node_id in self.nodes}
        self.waiting_for: dict[str, int] = dict.fromkeys(self.nodes, 0)
        for edge in graph.edges:
            if edge.source in self.nodes and edge.target in self.nodes:
                self.successors[edge.source].append(edge.target)
                self.waiting_for[edge.target] += 1
        self.outputs: dict[str, dict[str, Any]] = {}
        self.results: list[NodeResult] = []
        self.error = ""
        self.running: dict[Future, _Running] = {}
        self.executor = ThreadPoolExecutor(
            max_workers=max(1, min(ports.node_workers, len(self.nodes))), thread_name_prefix="workflow-node"
        )

    def execute(self) -> None:
        for node in self.graph.nodes:
            if self.waiting_for[node.id] == 0 and not self.error:
                self._start(node)
        while self.running and not self.error:
            nearest = min(running.deadline for running in self.running.values())
            timeout = None if nearest == math.inf else max(0.0, nearest - time.monotonic())
            done, _ = wait(self.running, timeout=timeout, return_when=FIRST_COMPLETED)
            for future in done:
                running = self.running.pop(future)
                outputs, error, latency = future.result()
                self._finish(running.node, running.inputs, outputs, error, latency)
                if self.error:
                    return
            if not done:
                self._fail_timed_out()
        if not self.error and len(self.outputs) < len(self.nodes):
            self.error = "工作流中有节点无法执行（缺少前置节点或存在环）"

    def _start(self, node: BaseNode) -> None:
        now = time.monotonic()
        if now >= self.deadline:
            self._finish(node, {}, {}, "工作流运行超时", 0.0)
            return
        try:
            inputs = self._resolve_inputs(node)
        except (CoercionError, UnresolvedReference, ValidateErrorException) as exc:
            self._finish(node, {}, {}, getattr(exc, "message", None) or str(exc), 0.0)
            return
        except Exception:  # a graph the validation should have refused; still a node error, not a 500
            logger.exception("Could not resolve the inputs of workflow node %s", node.id)
            self._finish(node, {}, {}, "节点的输入无法解析", 0.0)
            return
        node_deadline = now + self.ports.node_timeout
        if node_deadline <= self.deadline:
            timeout_error = f"节点执行超时（超过{self.ports.node_timeout:g}秒）"
        else:
            node_deadline, timeout_error = self.deadline, "工作流运行超时"
        future = self.executor.submit(self._execute, node, inputs, node_deadline - now)
        self.running[future] = _Running(node, inputs, now, node_deadline, timeout_error)

    def _resolve_inputs(self, node: BaseNode) -> dict[str, Any]:
        if node.node_type == NodeType.START:
            return _coerce_start_inputs(node, self.raw_inputs if isinstance(self.raw_inputs, dict) else {})
        inputs = {}
        # The end node's variables are its `outputs` in the editors (`inputs` in older graphs).
        variables = [*node.inputs, *node.outputs] if node.node_type == NodeType.END else node.inputs
        for var in variables:
            try:
                inputs[var.name] = resolve_variable(var, self.outputs)
            except CoercionError as exc:
                raise CoercionError(f"inputs.{var.name}: {exc}") from None
        return inputs

    def _execute(self, node: BaseNode, inputs: dict[str, Any], timeout: float) -> tuple[dict, str, float]:
        """On a pool thread: the node's outputs, or its error, and the seconds it took."""
        started = time.perf_counter()
        try:
            runner = NODE_RUNNERS.get(node.node_type)
            if runner is None:
                raise NodeError(f"不支持的节点类型：{node.node_type}")
            with self.ports.node_context():
                outputs = runner.run(node, inputs, self.ports, timeout)
            return outputs, "", time.perf_counter() - started
        except NodeError as exc:
            return {}, str(exc), time.perf_counter() - started
        except Exception as exc:  # a collaborator's failure (model, tool, sandbox) is the node's error
            logger.warning("Workflow node %s (%s) failed", node.id, node.node_type, exc_info=True)
            return {}, str(exc) or type(exc).__name__, time.perf_counter() - started

    def _fail_timed_out(self) -> None:
        now = time.monotonic()
        for future, running in list(self.running.items()):
            if now >= running.deadline:
                del self.running[future]
                self._finish(running.node, running.inputs, {}, running.timeout_error, now - running.started)
                return

    def _finish(self, node: BaseNode, inputs: dict, outputs: dict, error: str, latency: float) -> None:
        status = NodeStatus.FAILED if error else NodeStatus.SUCCEEDED
        result = NodeResult(node=node, status=status, inputs=inputs, outputs=outputs, error=error, latency=latency)
        self.results.append(result)
        if error:
            self.error = error
        else:
            self.outputs[node.id] = outputs
        self.on_node(result)
        if error:
            return
        for successor in self.successors[node.id]:
            if self.error:
                return
            self.waiting_for[successor] -= 1
            if self.waiting_for[successor] == 0:
                self._start(self.nodes[successor])
