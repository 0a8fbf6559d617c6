"""The Celery application of the production profile; tasks run inside the Flask app context."""

from celery import Celery, Task
from flask import Flask

from config import Settings


def init_celery(app: Flask, settings: Settings) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=settings.celery.celery_broker_url or "memory://",
        result_backend=settings.celery.celery_result_backend or None,
        task_ignore_result=True,
        task_acks_late=True,  # a task interrupted by a worker crash runs again
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        timezone="UTC",
        imports=("internal.task",),
    )
    celery.set_default()
    app.extensions["celery"] = celery
    return celery
