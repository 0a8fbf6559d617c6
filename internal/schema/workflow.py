"""Requests and responses of the workflow endpoints (llmops-api.md §11.1-11.9)."""

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from internal.model.workflow import WorkflowStatus
from pkg.paginator import WidePageReq

from .common import HttpUrlStr, RequestModel, ResponseModel, Timestamp, trimmed

TOOL_CALL_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"

WorkflowName = trimmed(50, min_length=1)
# What an agent's LLM calls the workflow by: a valid identifier.
ToolCallName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50, pattern=TOOL_CALL_NAME_PATTERN)
]
WorkflowDescription = trimmed(1024, min_length=1)


class CreateWorkflowReq(RequestModel):
    name: WorkflowName
    tool_call_name: ToolCallName
    icon: HttpUrlStr
    # Tells an agent's LLM when to call the workflow.
    description: WorkflowDescription


class UpdateWorkflowReq(CreateWorkflowReq):
    pass


class GetWorkflowsWithPageReq(WidePageReq):
    """`status` empty: every workflow; `search_word` matches names."""

    status: Literal["", WorkflowStatus.DRAFT, WorkflowStatus.PUBLISHED] = ""
    search_word: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] = ""


class DraftGraphReq(RequestModel):
    """11.7: nodes and edges as the editor holds them; each node's shape is checked by the
    service (a half-filled node is accepted), keys it does not know are kept."""

    nodes: list[dict[str, Any]] = Field(
        description="GraphNode: {id, node_type (alias type), title (alias name), description, position{x, y}, "
        "inputs[Variable], outputs[Variable], …fields of its type}"
    )
    edges: list[dict[str, Any]] = Field(description="Edge: {id, source, source_type, target, target_type}")


class WorkflowIdResp(BaseModel):
    id: uuid.UUID


class WorkflowResp(ResponseModel):
    """11.1/11.4; `published_at` is 0 while the workflow is not published."""

    id: uuid.UUID
    name: str
    tool_call_name: str
    icon: str
    description: str
    status: str
    is_debug_passed: bool
    node_count: int
    published_at: Timestamp
    updated_at: Timestamp
    created_at: Timestamp

    @classmethod
    def render(cls, workflow: Any) -> dict:
        return cls.model_validate(
            {
                "id": workflow.id,
                "name": workflow.name,
                "tool_call_name": workflow.tool_call_name,
                "icon": workflow.icon,
                "description": workflow.description,
                "status": workflow.status,
                "is_debug_passed": workflow.is_debug_passed,
                "node_count": len((workflow.draft_graph or {}).get("nodes") or []),
                "published_at": workflow.published_at,
                "updated_at": workflow.updated_at,
                "created_at": workflow.created_at,
            }
        ).model_dump(mode="json")


class DraftGraphResp(BaseModel):
    """11.6: every node with its position, variables (with `value`/`meta` defaults), type fields,
    fixed outputs and the keys the editor saved; `node_type`/`title` and `type`/`name` both served."""

    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
