"""The run queue's interface: what a run's events need of it, and what it needs of an event."""

import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from enum import Enum
from typing import Protocol


class RunEvent(Protocol):
    """Any event a run streams (agent steps, later workflow nodes or speech): the queue only
    needs to know which event ends the stream."""

    @property
    def is_terminal(self) -> bool: ...


class QueueSignal(Enum):
    """What `listen` yields besides events."""

    IDLE = "idle"  # nothing arrived for `idle_timeout` seconds: time for a keep-alive ping
    STOP_REQUESTED = "stop_requested"  # someone stopped the task: end the stream now


class RunQueue(ABC):
    """Carries one run's events from its runner to the response streaming them, keyed by
    task id, and lets a stop request handled by any API process reach both.

    Runner and listener are in the process that opened the task (the response streams the run
    its own process started), so events never leave it; ownership and stops may come from any.
    `open` must run before the runner starts and before anyone listens, so neither side can
    miss the other's first event.
    """

    @abstractmethod
    def open(self, task_id: uuid.UUID, owner: str, ttl: float) -> None:
        """Create the task's queue; `owner` is who may stop it; everything expires after `ttl` seconds."""

    @abstractmethod
    def publish(self, task_id: uuid.UUID, event: RunEvent) -> None: ...

    @abstractmethod
    def listen(
        self, task_id: uuid.UUID, idle_timeout: float, batch_window: float = 0.0
    ) -> Iterator[list[RunEvent] | QueueSignal]:
        """The task's events in order, each time all that have arrived (at least one), so a
        listener that fell behind catches up at once; ends after a terminal event or STOP_REQUESTED.

        With `batch_window`, a batch comes at most that many seconds after the one before (a
        terminal event or a stop comes at once): a fast run's events go out in fewer, larger batches.
        """

    @abstractmethod
    def stop(self, task_id: uuid.UUID, owner: str) -> bool:
        """Ask the task to stop; False when there is no such task of `owner`."""

    @abstractmethod
    def is_stopped(self, task_id: uuid.UUID) -> bool:
        """Whether a stop was asked for; cheap enough for a runner to call per streamed chunk."""

    @abstractmethod
    def close(self, task_id: uuid.UUID) -> None:
        """The run is over: free its events soon. Its owner record stays until the ttl, so a late
        stop request from the owner still returns True (and changes nothing)."""
