"""The background-job port: services hand long work to a queue by task name and return at once;
a Celery worker (production) or a thread pool in the API process (embedded) runs it."""

from abc import ABC, abstractmethod


class TaskQueue(ABC):
    """Services hand long work to a queue and return; the work records its own progress.

    Tasks are Celery tasks (`internal/task`) taking only ids and plain values, addressed by their
    registered name, so services do not import the task modules (which depend on services) and
    the same function runs in a worker process or, embedded, on a background thread.
    """

    @abstractmethod
    def enqueue(self, task_name: str, *args) -> None: ...

    @abstractmethod
    def run_periodically(self, task_name: str, interval: float) -> None:
        """Run the task (no arguments) every `interval` seconds for as long as the application lives."""
