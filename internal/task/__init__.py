"""Celery tasks, one module per domain; the worker imports this package to register them."""

from . import dataset_task, document_task

__all__ = ["dataset_task", "document_task"]  # imported to register the tasks
