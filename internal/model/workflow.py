"""Workflows: the workflow with its draft and published graphs, and its runs (each node's
inputs, outputs and error kept, so a run can be looked at afterwards)."""

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import JSONType, UTCDateTime, db, utcnow


class WorkflowStatus:
    DRAFT = "draft"
    PUBLISHED = "published"


def empty_graph() -> dict:
    return {"nodes": [], "edges": []}


class Workflow(db.Model):
    __tablename__ = "workflow"
    __table_args__ = (
        UniqueConstraint("account_id", "tool_call_name"),
        Index("ix_workflow_account_id_created_at", "account_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    tool_call_name: Mapped[str] = mapped_column(String(255))
    icon: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(Text, default="")
    # The graph editors save (`{nodes, edges}`); `graph` is the published copy agents run.
    draft_graph: Mapped[dict] = mapped_column(JSONType, default=empty_graph)
    graph: Mapped[dict] = mapped_column(JSONType, default=empty_graph)
    is_debug_passed: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=WorkflowStatus.DRAFT)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkflowRunStatus:
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WorkflowRun(db.Model):
    """One run of a workflow: a debug run of the draft or an agent's call of the published graph."""

    __tablename__ = "workflow_run"
    __table_args__ = (Index("ix_workflow_run_workflow_id_created_at", "workflow_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    workflow_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("workflow.id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"))
    # `debugger` or `agent`.
    invoke_from: Mapped[str] = mapped_column(String(32))
    # The graph as it ran (a draft changes after).
    graph: Mapped[dict] = mapped_column(JSONType, default=empty_graph)
    inputs: Mapped[dict] = mapped_column(JSONType, default=dict)
    outputs: Mapped[dict] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=WorkflowRunStatus.RUNNING)
    error: Mapped[str] = mapped_column(Text, default="")
    latency: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkflowNodeRun(db.Model):
    """One node of a run as it finished."""

    __tablename__ = "workflow_node_run"
    __table_args__ = (Index("ix_workflow_node_run_run_id_position", "run_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    run_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("workflow_run.id", ondelete="CASCADE"))
    # The order nodes finished in.
    position: Mapped[int] = mapped_column(Integer, default=0)
    node_id: Mapped[str] = mapped_column(String(64))
    node_type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16))
    inputs: Mapped[dict] = mapped_column(JSONType, default=dict)
    outputs: Mapped[dict] = mapped_column(JSONType, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    latency: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
