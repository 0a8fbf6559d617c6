"""The periodic task that fires due reminders (Celery beat in production, a timer when embedded)."""

from celery import shared_task
from flask import current_app

from internal.service import task_names

from .scheduler import ReminderScheduler


@shared_task(name=task_names.FIRE_DUE_REMINDERS)
def fire_due_reminders() -> None:
    current_app.extensions["injector"].get(ReminderScheduler).fire_due_reminders()
