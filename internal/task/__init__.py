"""Celery tasks, one module per domain; the worker imports this package to register them."""

from . import dataset_task, document_task  # noqa: F401  (registers the tasks)
