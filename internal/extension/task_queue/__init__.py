"""Runs background jobs: Celery workers in production, a thread pool in the embedded profile."""

from flask import Flask

from config import Settings

from .base import TaskQueue


def create_task_queue(app: Flask, settings: Settings) -> TaskQueue:
    if settings.celery.celery_broker_url:
        from .celery_queue import CeleryTaskQueue

        return CeleryTaskQueue(app.extensions["celery"])
    from .in_process_queue import InProcessTaskQueue

    return InProcessTaskQueue(app)


__all__ = ["TaskQueue", "create_task_queue"]
