"""Running a task on the platform's agent runtime: one background run (the TaskQueue port) with
one agent turn per subtask, in order, each step's state, timing, tool calls and output written
as it ends; cancelling; and the sweep that fails runs whose worker vanished.

The agent gets the helper model (or AISTACK_TASKS_MODEL) and the builtin tools that need no
credentials and no network: the calculator and the current time. Each step sees the task and
the outputs of the steps before it. Executing a failed or cancelled task again resumes at its
first unfinished step; executing a completed one runs every step again."""

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask
from injector import inject
from sqlalchemy import and_, or_, select

from config import Settings
from internal.aistack.gateway.errors import invalid_input
from internal.core.agent.agent_runner import AgentRun, AgentRunner, describe_error
from internal.core.agent.entities import AgentConfig, AgentInput, AgentResult
from internal.core.agent.events import AgentEvent, AgentEventType
from internal.core.tools.builtin_tools import BuiltinToolFactory
from internal.exception import CustomException
from internal.extension.database import utcnow
from internal.extension.task_queue import TaskQueue
from internal.model.conversation import MessageStatus
from internal.service import task_names
from internal.service.base_service import BaseService

from .model import TaskModels
from .models import ACTIVE_STATUSES, AgentSubtask, AgentTask, StepStatus, TaskStatus
from .service import TASK_ACTIVE, TaskService

logger = logging.getLogger(__name__)

# The tools every run gets: (provider, tool), offline and without credentials.
RUN_TOOLS = (("calculator", "calculator"), ("time", "current_time"))
# A queued run nobody started after this many times a running run's silence limit is lost
# (the embedded queue lives in memory; a restart drops it).
PENDING_PATIENCE = 10
# Seconds between a run's looks at whether it was cancelled (one small query each).
CANCEL_POLL_SECONDS = 0.5
STEP_PROMPT = """你是任务执行代理，正在逐步完成一个任务。
任务：{name}
任务描述：{description}
现在执行第{position}/{total}步：{step}
请完成这一步并给出这一步的结果。需要计算时调用计算器工具，需要当前时间时调用时间工具。"""
INTERRUPTED = "任务执行中断（处理它的进程已退出），已完成的步骤已保留，重新执行将从未完成的步骤继续"
NOT_RUNNING = "任务未在执行"
STOPPED = "任务已取消，这一步在完成前停止"


@dataclass
class _CancelWatch:
    """The agent's sink: events are kept by the runner; a stop is the task leaving this run
    (cancelled, or given up by the sweep), read from the database at most every half second."""

    engine: object
    task_id: int
    token: str

    def __post_init__(self):
        self._checked = 0.0
        self._stopped = False
        self._lock = threading.Lock()

    def publish(self, event: AgentEvent) -> None:
        pass

    def finish(self, result: AgentResult) -> None:
        pass

    def is_stopped(self) -> bool:
        with self._lock:
            if not self._stopped and time.monotonic() - self._checked >= CANCEL_POLL_SECONDS:
                self._checked = time.monotonic()
                with self.engine.connect() as connection:
                    row = connection.execute(
                        select(AgentTask.status, AgentTask.run_token).where(AgentTask.id == self.task_id)
                    ).first()
                self._stopped = row is None or row.status != TaskStatus.RUNNING.value or row.run_token != self.token
            return self._stopped


@inject
@dataclass
class TaskRunService(BaseService):
    app: Flask
    settings: Settings
    models: TaskModels
    tasks: TaskService
    task_queue: TaskQueue
    builtin_tools: BuiltinToolFactory

    # -- requests -------------------------------------------------------------------------------

    def execute(self, account_id: uuid.UUID, task_id: int) -> AgentTask:
        self.models.chat_model()  # a model that cannot be called refuses the run now (503)
        with self.db.auto_commit():
            task = self._locked(account_id, task_id)
            if task.status in ACTIVE_STATUSES:
                raise invalid_input("task_id", TASK_ACTIVE)
            steps = self.tasks.subtasks(task_id)
            if not steps:  # a task never decomposed runs as one step
                step = AgentSubtask(task_id=task_id, account_id=account_id, position=1, name=task.name, estimated_hours=1.0)
                self.db.session.add(step)
                steps = [step]
            rerun = task.status == TaskStatus.COMPLETED.value
            for step in steps:
                if rerun or step.status != StepStatus.COMPLETED.value:
                    step.status, step.output, step.error, step.tool_calls = StepStatus.PENDING.value, "", "", []
                    step.started_at = step.completed_at = None
            task.status, task.run_token = TaskStatus.QUEUED.value, uuid.uuid4().hex
            task.result, task.error, task.completed_at, task.heartbeat_at = "", "", None, utcnow()
            token = task.run_token
        self.task_queue.enqueue(task_names.EXECUTE_AGENT_TASK, task_id, token)
        return task

    def monitor(self, account_id: uuid.UUID, task_id: int) -> tuple[AgentTask, list[AgentSubtask]]:
        task = self.tasks.get(account_id, task_id)
        return task, self.tasks.subtasks(task_id)

    def cancel(self, account_id: uuid.UUID, task_id: int) -> AgentTask:
        """The run stops at its next model call or step; steps it completed stay completed."""
        with self.db.auto_commit():
            task = self._locked(account_id, task_id)
            if task.status not in ACTIVE_STATUSES:
                raise invalid_input("task_id", NOT_RUNNING)
            now = utcnow()
            task.status, task.completed_at, task.error = TaskStatus.CANCELLED.value, now, "任务已取消"
            for step in self.tasks.subtasks(task_id):
                if step.status == StepStatus.RUNNING.value:
                    step.status, step.completed_at = StepStatus.CANCELLED.value, now
        return task

    # -- the background run -------------------------------------------------------------------------

    def run(self, task_id: int, token: str) -> None:
        """The background job; a message for a run that is no longer current does nothing."""
        task = self.db.session.get(AgentTask, task_id)
        if task is None or task.run_token != token or task.status != TaskStatus.QUEUED.value:
            self.db.session.close()
            return
        task.status, task.started_at, task.heartbeat_at = TaskStatus.RUNNING.value, utcnow(), utcnow()
        self.db.session.commit()
        try:
            self._run_steps(task_id, token)
        except Exception as exc:
            self.db.session.rollback()
            if not isinstance(exc, CustomException):
                logger.warning("Task %s failed", task_id, exc_info=True)
            message = exc.message if isinstance(exc, CustomException) else describe_error(exc)
            if self._mine(task_id, token):
                self._fail(task_id, f"任务执行失败：{message}")

    def sweep_stale_runs(self) -> None:
        """Fail the runs whose worker is gone: running ones silent for longer than an agent turn
        and a broker redelivery take, queued ones never started long after. Their completed
        steps stay; executing the task again resumes at the unfinished step."""
        silence = self.settings.agent.agent_timeout + self.settings.celery.celery_visibility_timeout
        now = utcnow()
        stale = self.db.session.scalars(
            select(AgentTask).where(
                or_(
                    and_(AgentTask.status == TaskStatus.RUNNING.value,
                         AgentTask.heartbeat_at < now - timedelta(seconds=silence)),
                    and_(AgentTask.status == TaskStatus.QUEUED.value,
                         AgentTask.heartbeat_at < now - timedelta(seconds=silence * PENDING_PATIENCE)),
                )
            ).with_for_update()
        ).all()  # fmt: skip
        for task in stale:
            self._mark_failed(task, INTERRUPTED)
        self.db.session.commit()

    def _run_steps(self, task_id: int, token: str) -> None:
        task = self.db.session.get(AgentTask, task_id)
        steps = self.tasks.subtasks(task_id)
        name, description, total = task.name, task.description, len(steps)
        pending = [(s.id, s.position, s.name) for s in steps if s.status != StepStatus.COMPLETED.value]
        previous = [f"第{s.position}步「{s.name}」的结果：{s.output}" for s in steps if s.status == StepStatus.COMPLETED.value]
        self.db.session.commit()
        agent = self.settings.agent
        llm, native, pricing = self.models.resolve_and_build(timeout=min(self.settings.providers.llm_request_timeout, agent.agent_timeout))
        tools = [self.builtin_tools.create(provider, tool) for provider, tool in RUN_TOOLS]
        watch = _CancelWatch(self.db.engine, task_id, token)
        answer = ""
        for step_id, position, step_name in pending:
            if not self._start_step(task_id, token, step_id):
                return
            config = AgentConfig(llm=llm, native_tool_calling=native, tools=tools, max_iterations=agent.agent_max_iterations,
                                 tool_workers=agent.agent_tool_workers, pricing=pricing, tool_context=self.app.app_context)  # fmt: skip
            prompt = STEP_PROMPT.format(name=name, description=description or "（无）", position=position, total=total, step=step_name)
            agent_input = AgentInput(task_id=uuid.uuid4(), conversation_id=uuid.uuid4(), message_id=uuid.uuid4(),
                                     query=prompt, notes=list(previous))  # fmt: skip
            result = AgentRunner().run(AgentRun(config, agent_input, watch, time.monotonic() + agent.agent_timeout))
            if not self._end_step(task_id, token, step_id, position, step_name, result):
                return
            answer = result.answer
            previous.append(f"第{position}步「{step_name}」的结果：{answer}")
        with self.db.auto_commit():
            task = self._current(task_id, token)
            if task is not None:
                task.status, task.result, task.completed_at = TaskStatus.COMPLETED.value, answer, utcnow()

    def _start_step(self, task_id: int, token: str, step_id: int) -> bool:
        with self.db.auto_commit():
            task = self._current(task_id, token)
            if task is None:
                return False
            step = self.db.session.get(AgentSubtask, step_id)
            step.status, step.started_at, step.completed_at = StepStatus.RUNNING.value, utcnow(), None
            task.heartbeat_at = utcnow()
        return True

    def _end_step(self, task_id: int, token: str, step_id: int, position: int, name: str, result: AgentResult) -> bool:
        """The step's outcome written; False when the run ends here (failed, or no longer current)."""
        with self.db.auto_commit():
            task = self._current(task_id, token)
            step = self.db.session.get(AgentSubtask, step_id)
            step.tool_calls = [
                {"tool": e.tool, "input": e.tool_input, "output": e.observation[:4000]}
                for e in result.thoughts
                if e.event == AgentEventType.AGENT_ACTION
            ]
            step.output = result.answer
            if task is None:  # cancelled (or given up) meanwhile: what the step did is kept
                if step.status == StepStatus.RUNNING.value:
                    step.status, step.completed_at = StepStatus.CANCELLED.value, utcnow()
                step.error = step.error or STOPPED
                return False
            step.completed_at = task.heartbeat_at = utcnow()
            if result.status == MessageStatus.NORMAL:
                step.status = StepStatus.COMPLETED.value
                return True
            step.status, step.error = StepStatus.FAILED.value, result.error or result.status
            task.status, task.completed_at = TaskStatus.FAILED.value, utcnow()
            task.error = f"第{position}步「{name}」执行失败：{step.error}"[:2000]
            return False

    def _current(self, task_id: int, token: str) -> AgentTask | None:
        """The task, locked, if this run is still the one running it."""
        task = self.db.session.scalar(select(AgentTask).where(AgentTask.id == task_id).with_for_update())
        if task is None or task.run_token != token or task.status != TaskStatus.RUNNING.value:
            return None
        return task

    def _mine(self, task_id: int, token: str) -> bool:
        task = self.db.session.get(AgentTask, task_id)
        mine = task is not None and task.run_token == token and task.status in ACTIVE_STATUSES
        self.db.session.rollback()
        return mine

    def _fail(self, task_id: int, error: str) -> None:
        with self.db.auto_commit():
            task = self.db.session.scalar(select(AgentTask).where(AgentTask.id == task_id).with_for_update())
            self._mark_failed(task, error)

    def _mark_failed(self, task: AgentTask, error: str) -> None:
        now = utcnow()
        task.status, task.error, task.completed_at = TaskStatus.FAILED.value, error[:2000], now
        for step in self.tasks.subtasks(task.id):
            if step.status == StepStatus.RUNNING.value:
                step.status, step.error, step.completed_at = StepStatus.FAILED.value, error[:2000], now

    def _locked(self, account_id: uuid.UUID, task_id: int) -> AgentTask:
        self.tasks.get(account_id, task_id)  # raises the not-found
        task = self.db.session.scalar(
            select(AgentTask)
            .where(AgentTask.id == task_id, AgentTask.account_id == account_id)
            .with_for_update()
            .execution_options(populate_existing=True)  # the rows as they are once locked
        )
        return task
