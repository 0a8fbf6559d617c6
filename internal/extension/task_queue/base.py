from abc import ABC, abstractmethod

from celery import Task


class TaskQueue(ABC):
    """Services hand long work to a queue and return; the work records its own progress.

    Tasks are Celery tasks (`internal/task`) taking only ids and plain values, so the same
    function runs in a worker process or, embedded, on a background thread.
    """

    @abstractmethod
    def enqueue(self, task: Task, *args) -> None: ...
