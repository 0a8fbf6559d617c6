"""Debugging a workflow (llmops-api.md §11.10): validation errors as an envelope, then each node's
result as a `workflow` server-sent event as it finishes; and the stored runs (beyond the contract)."""

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from injector import inject

from internal.middleware import current_account
from internal.schema.common import Page
from internal.schema.workflow_run import WorkflowDebugReq, WorkflowNodeRunResp, WorkflowRunDetailResp, WorkflowRunResp
from internal.service.workflow_run_service import WorkflowRunService, WorkflowStreamEvent
from pkg.paginator import PageReq, page_body
from pkg.response import sse_response, success_json

from .endpoint import endpoint

_TAGS = ("workflows",)
WORKFLOW_EVENT = "workflow"


def workflow_event_frames(events: Iterable[WorkflowStreamEvent]) -> Iterator[tuple[str, str]]:
    for event in events:
        if event.data is not None:
            yield WORKFLOW_EVENT, json.dumps(event.data, ensure_ascii=False, default=str)


@inject
@dataclass
class WorkflowDebugHandler:
    workflow_run_service: WorkflowRunService

    @endpoint(body=WorkflowDebugReq, raw_response="text/event-stream", tags=_TAGS)
    def debug_workflow(self, workflow_id: uuid.UUID, body: WorkflowDebugReq):
        """Run the draft graph with `inputs` (or a flat body of inputs). The graph is validated first
        (an error comes back as an envelope); then one `workflow` event per node as it finishes,
        the end node's carrying the run's result. No ping, no stop."""
        events = self.workflow_run_service.debug(current_account().id, workflow_id, body.workflow_inputs())
        return sse_response(workflow_event_frames(events))

    @endpoint(query=PageReq, resp=Page[WorkflowRunResp], tags=_TAGS)
    def get_workflow_runs_with_page(self, workflow_id: uuid.UUID, query: PageReq):
        """The workflow's stored runs (debug runs and agents' calls), newest first."""
        runs, paginator = self.workflow_run_service.list_runs(current_account().id, workflow_id, query)
        return success_json(page_body(WorkflowRunResp.render_many(runs), paginator))

    @endpoint(resp=WorkflowRunDetailResp, tags=_TAGS)
    def get_workflow_run(self, workflow_id: uuid.UUID, run_id: uuid.UUID):
        """One stored run: its graph as it ran and each node's inputs, outputs, error and latency."""
        run, nodes = self.workflow_run_service.get_run(current_account().id, workflow_id, run_id)
        data = WorkflowRunResp.render(run) | {"graph": run.graph, "nodes": WorkflowNodeRunResp.render_many(nodes)}
        return success_json(data)
