"""Workflows of an account (llmops-api.md §11.1-11.9): base information, the draft graph,
publishing, and what the debug endpoint and agents need from them."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from injector import inject
from sqlalchemy import select

from internal.core.workflow.entities import EndNode, Graph, Position, StartNode
from internal.core.workflow.graph import graph_fingerprint, load_graph, parse_draft_graph, render_graph, stored_graph
from internal.core.workflow.validation import validate_graph
from internal.exception import FailException, ValidateErrorException
from internal.extension.database import utcnow
from internal.model import App, AppConfig, Workflow
from internal.model.workflow import WorkflowStatus
from internal.schema.workflow import CreateWorkflowReq, DraftGraphReq, GetWorkflowsWithPageReq, UpdateWorkflowReq
from pkg.paginator import Paginator, paginate
from pkg.sql_like import contains_pattern

from .base_service import BaseService
from .workflow_graph_service import WorkflowGraphService

WORKFLOW_NOT_FOUND = "该工作流不存在"
DUPLICATE_TOOL_CALL_NAME = "tool_call_name: 该工具调用名称已存在"


def default_draft_graph() -> dict:
    """A new workflow's draft: a start node and an end node, not yet connected."""
    start = StartNode(id=str(uuid.uuid4()), title="开始节点", description="工作流的起点，定义工作流的输入", position=Position(x=80, y=240))
    end = EndNode(id=str(uuid.uuid4()), title="结束节点", description="工作流的终点，定义工作流的输出", position=Position(x=680, y=240))
    return stored_graph(Graph(nodes=[start, end], edges=[]))


@inject
@dataclass
class WorkflowService(BaseService):
    graph_service: WorkflowGraphService

    # --- base information -----------------------------------------------------------------------

    def create(self, account_id: uuid.UUID, req: CreateWorkflowReq) -> Workflow:
        self._check_tool_call_name_free(account_id, req.tool_call_name)
        workflow = Workflow(
            account_id=account_id,
            draft_graph=default_draft_graph(),
            graph={"nodes": [], "edges": []},
            is_debug_passed=False,
            status=WorkflowStatus.DRAFT,
        )
        self._fill(workflow, req)
        with self.saving_unique_name(DUPLICATE_TOOL_CALL_NAME):
            self.db.session.add(workflow)
        return workflow

    def update(self, account_id: uuid.UUID, workflow_id: uuid.UUID, req: UpdateWorkflowReq) -> Workflow:
        workflow = self.get_workflow(account_id, workflow_id)
        self._check_tool_call_name_free(account_id, req.tool_call_name, excluding=workflow.id)
        with self.saving_unique_name(DUPLICATE_TOOL_CALL_NAME):
            self._fill(workflow, req)
        return workflow

    def delete(self, account_id: uuid.UUID, workflow_id: uuid.UUID) -> None:
        """Agents binding the workflow lose it in the same transaction."""
        workflow = self.get_workflow(account_id, workflow_id)
        with self.db.auto_commit():
            self._unbind_from_apps(account_id, workflow.id)
            self.db.session.delete(workflow)

    def get_workflow(self, account_id: uuid.UUID, workflow_id: uuid.UUID) -> Workflow:
        """The one ownership check: missing and foreign workflows are both not found."""
        return self.get_owned(Workflow, workflow_id, account_id, WORKFLOW_NOT_FOUND)

    def list_workflows(self, account_id: uuid.UUID, req: GetWorkflowsWithPageReq) -> tuple[list[Workflow], Paginator]:
        """A page of the account's workflows, newest first."""
        stmt = select(Workflow).where(Workflow.account_id == account_id)
        if req.status:
            stmt = stmt.where(Workflow.status == req.status)
        if req.search_word:
            stmt = stmt.where(Workflow.name.ilike(contains_pattern(req.search_word), escape="\\"))
        stmt = stmt.order_by(Workflow.created_at.desc(), Workflow.id.desc())
        return paginate(self.db.session, stmt, req)

    # --- the draft graph ------------------------------------------------------------------------

    def get_draft_graph(self, account_id: uuid.UUID, workflow_id: uuid.UUID, builtin_icon_url: Callable[[str], str]) -> dict:
        """The draft as editors read it (11.6), with what its retrieval and tool nodes name shown
        as they are now (a built-in provider's icon is a route of this API: its URL comes from the caller)."""
        workflow = self.get_workflow(account_id, workflow_id)
        nodes = workflow.draft_graph.get("nodes") or []
        dataset_ids = [
            dataset_id for node in nodes for dataset_id in (node.get("dataset_ids") or [] if isinstance(node, dict) else [])
        ]
        datasets = self.graph_service.datasets_for_display(account_id, dataset_ids)
        tools = self.graph_service.tools_for_display(account_id, nodes, builtin_icon_url)
        return render_graph(workflow.draft_graph, datasets, tools)

    def save_draft_graph(self, account_id: uuid.UUID, workflow_id: uuid.UUID, req: DraftGraphReq) -> Workflow:
        """Autosave: the graph's shape is checked, not its meaning. Any change beyond node
        positions means the draft has to pass a debug run again before it can be published."""
        workflow = self.get_workflow(account_id, workflow_id)
        graph = stored_graph(parse_draft_graph({"nodes": req.nodes, "edges": req.edges}))
        with self.db.auto_commit():
            if graph_fingerprint(graph) != graph_fingerprint(workflow.draft_graph):
                workflow.is_debug_passed = False
            workflow.draft_graph = graph
            workflow.updated_at = utcnow()
        return workflow

    def validated_draft(self, account_id: uuid.UUID, workflow_id: uuid.UUID) -> tuple[Workflow, Graph]:
        """The workflow and its draft graph, strictly validated (for the debug endpoint)."""
        workflow = self.get_workflow(account_id, workflow_id)
        graph = validate_graph(load_graph(workflow.draft_graph), self.graph_service.resources(account_id))
        return workflow, graph

    def record_debug_pass(self, workflow_id: uuid.UUID, debugged_graph: dict) -> bool:
        """After a successful debug run of `debugged_graph` (the stored form of the draft it ran):
        sets `is_debug_passed` unless the draft changed since (positions aside). True if set."""
        with self.db.auto_commit():
            workflow = self.db.session.get(Workflow, workflow_id, with_for_update=True)
            # Usually the draft is still the very graph that ran; only a change needs the fingerprints.
            passed = workflow is not None and (
                workflow.draft_graph == debugged_graph
                or graph_fingerprint(workflow.draft_graph) == graph_fingerprint(debugged_graph)
            )
            if passed:
                workflow.is_debug_passed = True
        return passed

    # --- publishing -----------------------------------------------------------------------------

    def publish(self, account_id: uuid.UUID, workflow_id: uuid.UUID) -> Workflow:
        """Only a draft that passed a debug run; it is validated again (what it uses may be gone)."""
        workflow = self.get_workflow(account_id, workflow_id)
        if not workflow.is_debug_passed:
            raise FailException("该工作流未调试通过，请调试通过后再发布")
        self.validated_draft(account_id, workflow_id)
        with self.db.auto_commit():
            workflow.graph = workflow.draft_graph
            workflow.status = WorkflowStatus.PUBLISHED
            workflow.published_at = utcnow()
        return workflow

    def cancel_publish(self, account_id: uuid.UUID, workflow_id: uuid.UUID) -> Workflow:
        """Agents binding the workflow lose it now; publishing again does not bring it back."""
        workflow = self.get_workflow(account_id, workflow_id)
        if workflow.status != WorkflowStatus.PUBLISHED:
            raise FailException("该工作流未发布，无法取消发布")
        with self.db.auto_commit():
            workflow.status = WorkflowStatus.DRAFT
            workflow.published_at = None
            self._unbind_from_apps(account_id, workflow.id)
        return workflow

    def published_tool_workflows(self, account_id: uuid.UUID, ids: list[uuid.UUID]) -> list[Workflow]:
        """The account's published workflows among `ids`, in the order of `ids` (for agents)."""
        if not ids:
            return []
        found = {
            workflow.id: workflow
            for workflow in self.db.session.scalars(
                select(Workflow).where(
                    Workflow.id.in_(ids),
                    Workflow.account_id == account_id,
                    Workflow.status == WorkflowStatus.PUBLISHED,
                )
            )
        }
        return [found[workflow_id] for workflow_id in dict.fromkeys(ids) if workflow_id in found]

    # --- helpers --------------------------------------------------------------------------------

    def _check_tool_call_name_free(
        self, account_id: uuid.UUID, tool_call_name: str, excluding: uuid.UUID | None = None
    ) -> None:
        stmt = select(Workflow.id).where(Workflow.account_id == account_id, Workflow.tool_call_name == tool_call_name)
        if excluding is not None:
            stmt = stmt.where(Workflow.id != excluding)
        if self.db.session.scalar(stmt.limit(1)) is not None:
            raise ValidateErrorException(DUPLICATE_TOOL_CALL_NAME)

    def _unbind_from_apps(self, account_id: uuid.UUID, workflow_id: uuid.UUID) -> None:
        """Drop the workflow from the draft and published configurations of the account's apps."""
        bound = str(workflow_id)
        configs = self.db.session.scalars(
            select(AppConfig).join(App, App.id == AppConfig.app_id).where(App.account_id == account_id)
        )
        for config in configs:
            workflows = config.workflows or []
            if any(str(value) == bound for value in workflows):
                config.workflows = [value for value in workflows if str(value) != bound]

    @staticmethod
    def _fill(workflow: Workflow, req: CreateWorkflowReq) -> None:
        workflow.name = req.name
        workflow.tool_call_name = req.tool_call_name
        workflow.icon = req.icon
        workflow.description = req.description
