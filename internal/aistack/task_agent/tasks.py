"""The task agent's background jobs: a task's run, and the sweep that fails runs whose worker
vanished (Celery in production, the in-process queue and a timer when embedded)."""

from celery import shared_task
from flask import current_app

from internal.service import task_names

from .run_service import TaskRunService


@shared_task(name=task_names.EXECUTE_AGENT_TASK)
def execute_agent_task(task_id: int, token: str) -> None:
    current_app.extensions["injector"].get(TaskRunService).run(task_id, token)


@shared_task(name=task_names.SWEEP_AGENT_TASKS)
def sweep_agent_tasks() -> None:
    current_app.extensions["injector"].get(TaskRunService).sweep_stale_runs()
