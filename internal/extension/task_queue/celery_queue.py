"""The production task queue: messages to the Celery broker, routed by the app's task routes."""

from celery import Celery

from .base import TaskQueue


class CeleryTaskQueue(TaskQueue):
    """Sends through this application's Celery instance; a shared task's `.delay` would use
    whichever Celery app was created last in the process."""

    def __init__(self, celery: Celery):
        self.celery = celery

    def enqueue(self, task_name, *args):
        self.celery.send_task(task_name, args=args)

    def run_periodically(self, task_name, interval):
        # Celery beat runs the app's beat_schedule (init_celery); API processes schedule nothing.
        pass
