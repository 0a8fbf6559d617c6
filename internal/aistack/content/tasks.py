"""The content creation system's background job: publishing the publications that are due."""

from celery import shared_task
from flask import current_app

from internal.service import task_names

from .scheduler import ContentScheduler


@shared_task(name=task_names.PUBLISH_DUE_CONTENT)
def publish_due_content() -> None:
    """Run by Celery beat (and on demand) in production, by a timer and on demand embedded."""
    current_app.extensions["injector"].get(ContentScheduler).publish_due()
