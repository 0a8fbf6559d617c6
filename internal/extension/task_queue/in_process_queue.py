"""The embedded task queue: a thread pool in the API process running the same Celery tasks."""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from flask import Flask

from .base import TaskQueue

logger = logging.getLogger(__name__)


class InProcessTaskQueue(TaskQueue):
    """Runs tasks off the request thread, inside the application context, one pool per app."""

    def __init__(self, app: Flask, workers: int = 2):
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llmops-task")
        self._tasks_loaded = threading.Lock()
        self._loaded = False

    def enqueue(self, task_name, *args):
        self.executor.submit(self._run, task_name, args)

    def run_periodically(self, task_name, interval):
        def tick() -> None:
            while True:
                time.sleep(interval)
                # One run waiting at a time: ticks do not pile up behind long tasks in the pool.
                if idle.is_set():
                    idle.clear()
                    try:
                        self.executor.submit(self._run, task_name, (), idle)
                    except RuntimeError:  # the interpreter is shutting down
                        return

        idle = threading.Event()
        idle.set()
        threading.Thread(target=tick, daemon=True, name=f"llmops-timer-{task_name.rsplit('.', 1)[-1]}").start()

    def _task(self, task_name: str):
        celery = self.app.extensions["celery"]
        with self._tasks_loaded:
            if not self._loaded:
                # The task modules import services; loaded on first use, once the app is built.
                celery.loader.import_default_modules()
                self._loaded = True
        return celery.tasks[task_name]

    def _run(self, task_name: str, args, done: threading.Event | None = None) -> None:
        with self.app.app_context():
            try:
                self._task(task_name).run(*args)
            except Exception:
                # Tasks record failures on the rows the API reads; this is the last resort.
                logger.exception("Background task %s failed", task_name)
            finally:
                if done is not None:
                    done.set()
