"""Celery tasks, one module per domain; the worker imports this package to register them."""

from internal.aistack.chat.reminders import tasks as aistack_reminder_tasks
from internal.aistack.stock import tasks as aistack_stock_tasks

from . import dataset_task, document_task

__all__ = ["aistack_reminder_tasks", "aistack_stock_tasks", "dataset_task", "document_task"]  # imported to register the tasks
