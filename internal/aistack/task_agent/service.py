"""Tasks of an account: create, list, read, update, delete (not while a run is active), and
their decomposition into subtasks by the model."""

import logging
import uuid
from dataclasses import dataclass

from injector import inject
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlalchemy import delete, select

from config import Settings
from internal.aistack.gateway.errors import ServiceUnavailableException, invalid_input
from internal.aistack.gateway.listing import Pagination, paginate
from internal.core.agent.agent_runner import describe_error
from internal.core.language_model.structured import structured_answer
from internal.exception import NotFoundException
from internal.service.base_service import BaseService

from .model import TaskModels
from .models import ACTIVE_STATUSES, MAX_ID, PRIORITY_RANK, AgentSubtask, AgentTask, TaskPriority, TaskStatus
from .schemas import TASK_LIST, DecomposeReq, DecomposeResp, SubtaskIn, SubtaskResp, TaskReq, TaskUpdateReq

logger = logging.getLogger(__name__)

TASK_NOT_FOUND = "任务不存在"
TASK_ACTIVE = "任务正在执行，请先取消"
DECOMPOSE_PROMPT = """You plan work. Split the task the user sends into {limit} or fewer concrete, \
ordered subtasks that together complete it. Give each a short name in the task's language and \
the hours of work it takes (a number greater than 0). Answer by calling the TaskDecomposition function."""

SUBTASKS = TypeAdapter(list[SubtaskIn])


class ProposedSubtask(BaseModel):
    name: str = Field(description="Short name of the subtask")
    estimated_hours: float = Field(description="Hours of work it takes, greater than 0")


class TaskDecomposition(BaseModel):
    """The subtasks of a task, in the order to do them. Checked after the answer (SubtaskIn), so
    a broken one can be named to the model."""

    subtasks: list[ProposedSubtask]


@inject
@dataclass
class TaskService(BaseService):
    settings: Settings
    models: TaskModels

    def create(self, account_id: uuid.UUID, req: TaskReq) -> AgentTask:
        task = AgentTask(account_id=account_id, name=req.name, description=req.description, priority=req.priority.value,
                         priority_rank=PRIORITY_RANK[req.priority], deadline=req.deadline)  # fmt: skip
        with self.db.auto_commit():
            self.db.session.add(task)
        return task

    def page(self, account_id: uuid.UUID, query) -> tuple[list[AgentTask], Pagination]:
        stmt = TASK_LIST.apply(select(AgentTask).where(AgentTask.account_id == account_id), query)
        return paginate(self.db.session, stmt, query, tiebreak=AgentTask.id)

    def get(self, account_id: uuid.UUID, task_id: int) -> AgentTask:
        if not 0 < task_id <= MAX_ID:
            raise NotFoundException(TASK_NOT_FOUND)
        task = self.db.session.scalar(select(AgentTask).where(AgentTask.id == task_id, AgentTask.account_id == account_id))
        if task is None:
            raise NotFoundException(TASK_NOT_FOUND)
        return task

    def subtasks(self, task_id: int) -> list[AgentSubtask]:
        return list(
            self.db.session.scalars(select(AgentSubtask).where(AgentSubtask.task_id == task_id).order_by(AgentSubtask.position))
        )

    def update(self, account_id: uuid.UUID, task_id: int, req: TaskUpdateReq) -> AgentTask:
        with self.db.auto_commit():
            task = self.get(account_id, task_id)
            changes = req.model_dump(exclude_unset=True)
            for name in ("name", "description"):
                if changes.get(name) is not None:
                    setattr(task, name, changes[name])
            if changes.get("priority") is not None:
                task.priority, task.priority_rank = req.priority.value, PRIORITY_RANK[TaskPriority(req.priority)]
            if "deadline" in changes:
                task.deadline = req.deadline
        return task

    def delete(self, account_id: uuid.UUID, task_id: int) -> None:
        with self.db.auto_commit():
            task = self.get(account_id, task_id)
            if task.status in ACTIVE_STATUSES:
                raise invalid_input("task_id", TASK_ACTIVE)
            self.db.session.execute(delete(AgentSubtask).where(AgentSubtask.task_id == task_id))
            self.db.session.delete(task)

    def decompose(self, account_id: uuid.UUID, req: DecomposeReq) -> DecomposeResp:
        if req.task_id is not None:  # checked before the model is asked
            task = self.get(account_id, req.task_id)
            if task.status in ACTIVE_STATUSES:
                raise invalid_input("task_id", TASK_ACTIVE)
        llm = self.models.chat_model()
        self.db.session.commit()  # nothing stays open during the model call
        subtasks = self._ask(llm, req.task)
        if req.task_id is not None:
            self._store(account_id, req.task_id, subtasks)
        return DecomposeResp(
            subtasks=[SubtaskResp(name=s.name, estimated_hours=s.estimated_hours) for s in subtasks],
            total_estimated_hours=round(sum(s.estimated_hours for s in subtasks), 2),
            task_id=req.task_id,
        )

    def _ask(self, llm, task: str) -> list[SubtaskIn]:
        """The model's subtasks, validated; an answer breaking the rules is asked for once more
        with the problem named, and refused (503) if it breaks them again."""
        limit = self.settings.aistack_tasks.aistack_tasks_max_subtasks
        messages = [SystemMessage(DECOMPOSE_PROMPT.format(limit=limit)), HumanMessage(task)]
        problem = ""
        for _ in range(2):
            try:
                answer = structured_answer(llm, TaskDecomposition, messages)
            except Exception as exc:
                logger.warning("Task decomposition failed", exc_info=True)
                raise ServiceUnavailableException(f"任务分解模型调用失败：{describe_error(exc)}") from None
            try:
                subtasks = SUBTASKS.validate_python([item.model_dump() for item in answer.subtasks])
            except ValidationError as exc:
                problem = "; ".join(f"subtasks.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            else:
                if subtasks:
                    return subtasks[:limit]
                problem = "no subtasks"
            messages.append(HumanMessage(f"Your answer broke the rules ({problem}). Answer again."))
        raise ServiceUnavailableException(f"模型返回的任务分解无效：{problem}", {"subtasks": problem})

    def _store(self, account_id: uuid.UUID, task_id: int, subtasks: list[SubtaskIn]) -> None:
        """The task's subtasks replaced by these, unless a run started meanwhile."""
        with self.db.auto_commit():
            task = self.db.session.scalar(
                select(AgentTask).where(AgentTask.id == task_id, AgentTask.account_id == account_id).with_for_update()
            )
            if task is None:
                raise NotFoundException(TASK_NOT_FOUND)
            if task.status in ACTIVE_STATUSES:
                raise invalid_input("task_id", TASK_ACTIVE)
            self.db.session.execute(delete(AgentSubtask).where(AgentSubtask.task_id == task_id))
            for position, subtask in enumerate(subtasks, start=1):
                self.db.session.add(AgentSubtask(task_id=task_id, account_id=account_id, position=position,
                                                 name=subtask.name, estimated_hours=subtask.estimated_hours))  # fmt: skip
            task.status, task.result, task.error = TaskStatus.PENDING.value, "", ""
            task.started_at = task.completed_at = None
