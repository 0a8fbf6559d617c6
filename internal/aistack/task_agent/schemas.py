"""What the task agent's routes take and return."""

from datetime import date, datetime

from pydantic import BaseModel, Field

from internal.aistack.gateway.envelope import IsoTime, RowResp
from internal.aistack.gateway.listing import ListSpec, Order
from internal.schema.common import JsonInt, RequestModel, trimmed

from .models import MAX_ID, AgentSubtask, AgentTask, StepStatus, TaskPriority, TaskStatus

Time = IsoTime | None  # the document has always shown the task agent's times as nullable
MAX_HOURS = 10000.0


class TaskReq(RequestModel):
    name: trimmed(200, 1)
    description: trimmed(5000) = ""
    priority: TaskPriority = TaskPriority.MEDIUM
    deadline: date | None = None


class TaskUpdateReq(RequestModel):
    """Only the fields sent change; `deadline: null` clears it."""

    name: trimmed(200, 1) | None = None
    description: trimmed(5000) | None = None
    priority: TaskPriority | None = None
    deadline: date | None = None


class SubtaskIn(BaseModel):
    """A subtask as the model proposes it; names are trimmed and must keep a character."""

    name: trimmed(200, 1) = Field(description="Short imperative name of the subtask")
    estimated_hours: float = Field(gt=0, le=MAX_HOURS, description="Hours of work it takes, more than 0")


class DecomposeReq(RequestModel):
    task: trimmed(2000, 1)
    task_id: JsonInt | None = Field(None, ge=1, le=MAX_ID, description="存储为该任务的子任务（替换原有子任务）")


class SubtaskResp(BaseModel):
    name: str
    estimated_hours: float


class DecomposeResp(BaseModel):
    subtasks: list[SubtaskResp]
    total_estimated_hours: float
    task_id: int | None = None


class StepResp(RowResp):
    step_id: int = Field(validation_alias="id")
    position: int
    name: str
    estimated_hours: float
    status: StepStatus


class TaskResp(RowResp):
    task_id: int = Field(validation_alias="id")
    name: str
    description: str
    priority: TaskPriority
    deadline: date | None
    status: TaskStatus
    subtasks: list[StepResp]
    created_at: Time
    updated_at: Time


class ToolCallResp(BaseModel):
    tool: str
    input: dict
    output: str


class StepStateResp(StepResp):
    started_at: Time
    completed_at: Time
    duration_seconds: float | None
    tool_calls: list[ToolCallResp]
    output: str
    error: str


class MonitorResp(RowResp):
    task_id: int = Field(validation_alias="id")
    status: TaskStatus
    progress: float = Field(description="已完成步骤的比例，0到1")
    completed_steps: int
    total_steps: int
    current_step: int | None = Field(description="正在执行的步骤的序号（从1开始）")
    started_at: Time
    completed_at: Time
    duration_seconds: float | None
    steps: list[StepStateResp]
    result: str
    error: str


def _duration(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


def step_state(step: AgentSubtask) -> StepStateResp:
    return StepStateResp.of(
        step, duration_seconds=_duration(step.started_at, step.completed_at), tool_calls=step.tool_calls or []
    )


def monitor_of(task: AgentTask, steps: list[AgentSubtask]) -> MonitorResp:
    done = sum(1 for s in steps if s.status == StepStatus.COMPLETED.value)
    running = next((s.position for s in steps if s.status == StepStatus.RUNNING.value), None)
    return MonitorResp.of(
        task, progress=round(done / len(steps), 4) if steps else 0.0, completed_steps=done, total_steps=len(steps),
        current_step=running, duration_seconds=_duration(task.started_at, task.completed_at),
        steps=[step_state(s) for s in steps],
    )  # fmt: skip


TASK_LIST = ListSpec(
    name="AgentTask",
    sort={"created_at": AgentTask.created_at, "deadline": AgentTask.deadline, "priority": AgentTask.priority_rank,
          "name": AgentTask.name, "updated_at": AgentTask.updated_at},
    default_sort="created_at",
    default_order=Order.DESC,
    filters={"status": (AgentTask.status, TaskStatus), "priority": (AgentTask.priority, TaskPriority)},
    date_column=AgentTask.created_at,
)  # fmt: skip
