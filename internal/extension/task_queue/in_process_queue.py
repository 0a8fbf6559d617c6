import logging
from concurrent.futures import ThreadPoolExecutor

from flask import Flask

from .base import TaskQueue

logger = logging.getLogger(__name__)


class InProcessTaskQueue(TaskQueue):
    """Runs tasks off the request thread, inside the application context, one pool per app."""

    def __init__(self, app: Flask, workers: int = 2):
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llmops-task")

    def enqueue(self, task, *args):
        self.executor.submit(self._run, task, args)

    def _run(self, task, args) -> None:
        with self.app.app_context():
            try:
                task.run(*args)
            except Exception:
                # Tasks record failures on the rows the API reads; this is the last resort.
                logger.exception("Background task %s failed", task.name)
