"""The Celery application of the production profile; tasks run inside the Flask app context.

Indexing survives a lost worker: messages are acknowledged only once a task has finished, a
message whose worker died is redelivered after the visibility timeout, and beat runs the
indexing sweeper, which re-queues builds whose lease ran out (see IndexingService).
"""

from celery import Celery, Task
from flask import Flask

from config import Settings


def init_celery(app: Flask, settings: Settings, periodic: dict[str, float] | None = None) -> Celery:
    """`periodic` maps task names to their interval in seconds, run by beat."""
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    jobs = settings.celery
    visibility = jobs.celery_visibility_timeout
    celery = Celery(app.name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=jobs.celery_broker_url or "memory://",
        result_backend=jobs.celery_result_backend or None,
        task_ignore_result=True,
        task_acks_late=True,  # a task interrupted by a worker crash runs again
        task_reject_on_worker_lost=True,  # ... also when only a pool child was killed
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": visibility,
            # Look for messages of lost workers often enough to notice them soon after the timeout.
            "unacked_restore_interval": max(1, min(10, visibility // 4)),
            "unacked_restore_throttle": 1,
            "socket_timeout": 30,
            "socket_connect_timeout": 5,
        },
        task_default_queue=jobs.celery_indexing_queue,
        task_routes={"internal.task.*": {"queue": jobs.celery_indexing_queue}},
        beat_schedule={
            # A run nobody picked up in time is dropped: the next one does the same work.
            name: {"task": name, "schedule": interval, "options": {"expires": interval}}
            for name, interval in (periodic or {}).items()
        },
        timezone="UTC",
        imports=("internal.task", "internal.aistack.tasks"),
    )
    celery.set_default()
    app.extensions["celery"] = celery
    return celery
