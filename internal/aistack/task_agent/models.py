"""The task agent's tables: an account's tasks (with the state of their latest run) and each
task's subtasks, which are the run's steps (state, timing, tool calls and output per step, so a
restarted server still knows how far a run got)."""

import uuid
from datetime import date, datetime
from enum import Enum

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import JSONType, UTCDateTime, db, utcnow


class TaskPriority(str, Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


# Sorting by priority orders by this rank, not by the words.
PRIORITY_RANK = {TaskPriority.LOW: 1, TaskPriority.MEDIUM: 2, TaskPriority.HIGH: 3, TaskPriority.URGENT: 4}


class TaskStatus(str, Enum):
    PENDING = "pending"  # never executed
    QUEUED = "queued"  # execution asked, no worker has started it yet
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


# Ids are INTEGER columns: a larger one in a URL names no task (PostgreSQL would refuse to compare).
MAX_ID = 2**31 - 1

ACTIVE_STATUSES = (TaskStatus.QUEUED.value, TaskStatus.RUNNING.value)


class StepStatus(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class AgentTask(db.Model):
    __tablename__ = "aistack_tasks_task"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(10), default=TaskPriority.MEDIUM.value, index=True)
    priority_rank: Mapped[int] = mapped_column(Integer, default=PRIORITY_RANK[TaskPriority.MEDIUM])
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=TaskStatus.PENDING.value, index=True)
    # Each execution gets a new token; a worker holding an older one (a redelivered message, a run
    # the sweep gave up) stops instead of writing.
    run_token: Mapped[str] = mapped_column(String(32), default="")
    result: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The run's heartbeat: every step start and end touches it; the sweep reads it.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AgentSubtask(db.Model):
    __tablename__ = "aistack_tasks_subtask"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(Integer, ForeignKey("aistack_tasks_task.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    estimated_hours: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default=StepStatus.PENDING.value)
    output: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    # [{"tool", "input", "output"}] in the order the agent called them.
    tool_calls: Mapped[list] = mapped_column(JSONType, default=list)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
