from celery import Celery

from .base import TaskQueue


class CeleryTaskQueue(TaskQueue):
    """Sends through this application's Celery instance; a shared task's `.delay` would use
    whichever Celery app was created last in the process."""

    def __init__(self, celery: Celery):
        self.celery = celery

    def enqueue(self, task, *args):
        self.celery.send_task(task.name, args=args)
