"""Celery tasks, one module per domain; the worker imports this package to register them."""

from internal.aistack.stock import tasks as stock_tasks  # noqa: F401  (AI Stack's stock system)

from . import dataset_task, document_task  # noqa: F401  (registers the tasks)

__all__ = ["dataset_task", "document_task", "stock_tasks"]
