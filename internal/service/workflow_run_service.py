"""Running workflows: a debug run of the draft streamed node by node (llmops-api.md §11.10) and an
agent's call of a published workflow (blocking, as one of its tools). Every run is stored with
each node's inputs, outputs and error once it is over.

The engine (`internal.core.workflow`) knows nothing of accounts: the ports built here give its
nodes the account's models, tools, datasets, the code sandbox and the guarded HTTP client.
"""

import copy
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from flask import Flask
from injector import inject
from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool
from sqlalchemy import select

from config import Settings
from internal.core.agent.agent_runner import describe_error
from internal.core.retrieval.dataset_retrieval_tool import combine_segments
from internal.core.retrieval.entities import QuerySource
from internal.core.run_stream import RunStreamer
from internal.core.tools.builtin_tools import BuiltinToolFactory
from internal.core.workflow.entities import Graph, LanguageModelConfig, RetrievalConfig, ToolNode, ToolType
from internal.core.workflow.graph import load_graph
from internal.core.workflow.ports import WorkflowPorts
from internal.core.workflow.runner import NodeResult, NodeStatus, WorkflowResult, WorkflowRunner, coerce_inputs
from internal.core.workflow.workflow_tool import build_workflow_tool
from internal.core.language_model.factory import LanguageModelFactory
from internal.exception import FailException, NotFoundException
from internal.model import Workflow, WorkflowNodeRun, WorkflowRun
from internal.model.workflow import WorkflowRunStatus
from pkg.guarded_http import GuardedHttpClient
from pkg.paginator import PageReq, Paginator, paginate
from pkg.sandbox import CodeSandbox

from .api_tool_service import ApiToolService
from .base_service import BaseService
from .retrieval_service import RetrievalService
from .workflow_service import WorkflowService


RUN_NOT_FOUND = "该工作流运行记录不存在"


class WorkflowInvokeFrom:
    DEBUGGER = "debugger"
    AGENT = "agent"


@dataclass(frozen=True)
class WorkflowStreamEvent:
    """One `workflow` event of a debug stream (`data` is a finished node), or the run's end
    (no data: nothing is sent, the stream closes)."""

    data: dict[str, Any] | None
    is_terminal: bool = False


_END_OF_RUN = WorkflowStreamEvent(None, is_terminal=True)


def _failure_event(exc: Exception) -> WorkflowStreamEvent:
    """The last event of a run that failed outside any node (its node data is empty)."""
    return WorkflowStreamEvent(
        {
            "id": str(uuid.uuid4()),
            "node_data": {"id": "", "node_type": "", "type": "", "title": "", "description": ""},
            "status": NodeStatus.FAILED.value,
            "inputs": {},
            "outputs": {},
            "error": describe_error(exc),
            "latency": 0.0,
        },
        is_terminal=True,
    )


@inject
@dataclass
class WorkflowRunService(BaseService):
    app: Flask
    settings: Settings
    workflow_service: WorkflowService
    run_streamer: RunStreamer
    model_factory: LanguageModelFactory
    builtin_tool_factory: BuiltinToolFactory
    api_tool_service: ApiToolService
    retrieval_service: RetrievalService
    code_sandbox: CodeSandbox
    http_client: GuardedHttpClient

    # --- debugging the draft --------------------------------------------------------------------

    def debug(self, account_id: uuid.UUID, workflow_id: uuid.UUID, raw_inputs: dict[str, Any]) -> Iterator[WorkflowStreamEvent]:
        """Validates the draft and the inputs (errors come back before any stream), then streams
        each node as it finishes. A successful run marks the draft debugged, unless it changed
        meanwhile."""
        workflow, graph = self.workflow_service.validated_draft(account_id, workflow_id)
        inputs = coerce_inputs(graph, raw_inputs)
        stored = copy.deepcopy(workflow.draft_graph)
        # Nothing may stay open on the request's connection while the run goes on.
        self.db.session.commit()

        task_id = uuid.uuid4()
        deadline = time.monotonic() + self.settings.workflow.workflow_timeout
        sink = self.run_streamer.sink(task_id, lambda _result: _END_OF_RUN)

        def publish(result: NodeResult) -> None:
            sink.publish(WorkflowStreamEvent(result.event_data()))

        def work() -> None:
            result = self._runner(account_id).run(graph, inputs, on_node=publish, deadline=deadline)
            self._store(account_id, workflow_id, WorkflowInvokeFrom.DEBUGGER, stored, inputs, result)
            if result.status == NodeStatus.SUCCEEDED:
                self.workflow_service.record_debug_pass(workflow_id, stored)
            sink.finish(result)

        # No pings and no stop (D50): the stream is the nodes' events and ends with the run.
        return self.run_streamer.start(
            task_id,
            str(account_id),
            work,
            deadline=deadline,
            ping=None,
            end_early=lambda _timed_out: _END_OF_RUN,
            on_error=_failure_event,
        )

    # --- stored runs ---------------------------------------------------------------------------------

    def list_runs(self, account_id: uuid.UUID, workflow_id: uuid.UUID, page: PageReq) -> tuple[list[WorkflowRun], Paginator]:
        """The workflow's runs, newest first."""
        self.workflow_service.get_workflow(account_id, workflow_id)
        stmt = (
            select(WorkflowRun)
            .where(WorkflowRun.workflow_id == workflow_id)
            .order_by(WorkflowRun.created_at.desc(), WorkflowRun.id)
        )
        return paginate(self.db.session, stmt, page)

    def get_run(self, account_id: uuid.UUID, workflow_id: uuid.UUID, run_id: uuid.UUID) -> tuple[WorkflowRun, list[WorkflowNodeRun]]:
        self.workflow_service.get_workflow(account_id, workflow_id)
        run = self.db.session.get(WorkflowRun, run_id)
        if run is None or run.workflow_id != workflow_id:
            raise NotFoundException(RUN_NOT_FOUND)
        nodes = self.db.session.scalars(
            select(WorkflowNodeRun).where(WorkflowNodeRun.run_id == run_id).order_by(WorkflowNodeRun.position)
        ).all()
        return run, list(nodes)

    # --- agents calling published workflows -------------------------------------------------------

    def agent_tools(self, account_id: uuid.UUID, workflows: list[Workflow]) -> list[BaseTool]:
        """One tool per published workflow bound to an app: named by its `tool_call_name`, taking
        its start node's inputs, answering with its end node's outputs."""
        tools = []
        for workflow in workflows:
            stored = copy.deepcopy(workflow.graph)
            graph = load_graph(stored)
            invoke = partial(self.invoke, account_id, workflow.id, stored, graph)
            tools.append(build_workflow_tool(workflow.tool_call_name, workflow.description, graph, invoke))
        return tools

    def invoke(
        self,
        account_id: uuid.UUID,
        workflow_id: uuid.UUID,
        stored: dict,
        graph: Graph,
        args: dict[str, Any],
        on_node: Callable[[NodeResult], None] = lambda _result: None,
    ) -> dict[str, Any]:
        """Runs a published graph to its end (no stream; `on_node` hears each node as it finishes)
        and returns the end node's outputs."""
        inputs = coerce_inputs(graph, args)
        deadline = time.monotonic() + self.settings.workflow.workflow_timeout
        result = self._runner(account_id).run(graph, inputs, on_node=on_node, deadline=deadline)
        self._store(account_id, workflow_id, WorkflowInvokeFrom.AGENT, stored, inputs, result)
        if result.status != NodeStatus.SUCCEEDED:
            raise FailException(result.error)
        return result.outputs

    # --- the engine's ports -------------------------------------------------------------------------

    def _runner(self, account_id: uuid.UUID) -> WorkflowRunner:
        workflow_settings = self.settings.workflow
        ports = WorkflowPorts(
            chat_model=self._chat_model,
            tool=partial(self._tool, account_id),
            retrieve=partial(self._retrieve, account_id),
            code_runner=self.code_sandbox,
            http_client=self.http_client,
            node_timeout=workflow_settings.workflow_node_timeout,
            node_workers=workflow_settings.workflow_node_workers,
            node_context=self.app.app_context,
        )
        return WorkflowRunner(ports)

    def _chat_model(self, config: LanguageModelConfig) -> BaseChatModel:
        resolved = self.model_factory.resolve(config.provider, config.model, config.parameters)
        timeout = min(self.settings.providers.llm_request_timeout, self.settings.workflow.workflow_node_timeout)
        return self.model_factory.build(resolved, timeout=timeout)

    def _tool(self, account_id: uuid.UUID, node: ToolNode) -> BaseTool:
        # A provider or tool deleted since the graph was saved fails this node, not the server.
        if node.tool_type == ToolType.API_TOOL:
            try:
                provider_id = uuid.UUID(node.provider_id)
            except ValueError:
                raise FailException("该API工具不存在") from None
            return self.api_tool_service.build_langchain_tool(account_id, provider_id, node.tool_id)
        return self.builtin_tool_factory.create(node.provider_id, node.tool_id, node.params)

    def _retrieve(self, account_id: uuid.UUID, dataset_ids: list[str], config: RetrievalConfig, query: str) -> str:
        ids = []
        for dataset_id in dataset_ids:
            try:
                ids.append(uuid.UUID(str(dataset_id)))
            except ValueError:
                continue
        segments = self.retrieval_service.search(
            account_id, ids, query, config.retrieval_strategy, config.k, config.score, source=QuerySource.APP
        )
        return combine_segments(segments)

    # --- storing ------------------------------------------------------------------------------------

    def _store(
        self,
        account_id: uuid.UUID,
        workflow_id: uuid.UUID,
        invoke_from: str,
        stored: dict,
        inputs: dict[str, Any],
        result: WorkflowResult,
    ) -> None:
        """The run and its nodes in one transaction, once the run is over (nothing half-stored)."""
        with self.db.auto_commit():
            if self.db.session.get(Workflow, workflow_id) is None:
                return  # deleted while it ran: its runs went with it
            run = WorkflowRun(
                workflow_id=workflow_id,
                account_id=account_id,
                invoke_from=invoke_from,
                graph=stored,
                inputs=_jsonable(inputs),
                outputs=_jsonable(result.outputs),
                status=WorkflowRunStatus.SUCCEEDED if result.status == NodeStatus.SUCCEEDED else WorkflowRunStatus.FAILED,
                error=result.error,
                latency=result.latency,
            )
            self.db.session.add(run)
            self.db.session.flush()
            for position, node_result in enumerate(result.node_results):
                node = node_result.node
                self.db.session.add(
                    WorkflowNodeRun(
                        run_id=run.id,
                        position=position,
                        node_id=str(node.id),
                        node_type=str(node.node_type),
                        title=node.title,
                        status=str(node_result.status),
                        inputs=_jsonable(node_result.inputs),
                        outputs=_jsonable(node_result.outputs),
                        error=node_result.error,
                        latency=node_result.latency,
                    )
                )


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    """Values as a JSON column keeps them (anything else becomes its text)."""
    return json.loads(json.dumps(values, ensure_ascii=False, default=str))
