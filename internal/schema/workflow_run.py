"""Requests and responses of running workflows: the debug body (llmops-api.md §11.10) and the
stored runs."""

import uuid
from typing import Any

from pydantic import ConfigDict

from .common import RequestModel, ResponseModel, Timestamp


class WorkflowDebugReq(RequestModel):
    """`{"inputs": {...}}`; a body without an `inputs` object is itself the inputs (D50: the
    document's example body is flat)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})

    inputs: dict[str, Any] | None = None

    def workflow_inputs(self) -> dict[str, Any]:
        if self.inputs is not None:
            return self.inputs
        return dict(self.model_extra or {})


class _Outcome(ResponseModel):
    """What a run or one of its nodes was given, what it gave, how it ended."""

    status: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    error: str
    latency: float


class WorkflowRunResp(_Outcome):
    """A stored run (beyond the contract)."""

    id: uuid.UUID
    workflow_id: uuid.UUID
    invoke_from: str
    created_at: Timestamp


class WorkflowNodeRunResp(_Outcome):
    node_id: str
    node_type: str
    title: str


class WorkflowRunDetailResp(WorkflowRunResp):
    """A run with its graph as it ran and each node in the order nodes finished."""

    graph: dict[str, Any]
    nodes: list[WorkflowNodeRunResp]
