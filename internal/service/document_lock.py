"""The per-document lock: every writer of a document's segments, vectors and keyword terms
(builds, segment edits, switches, deletions) takes it, so a deletion always wins a race."""

import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass

from injector import inject

from config import Settings
from internal.extension.kv_store import KeyValueStore

# However short the build lease is, a locked write step gets this long (seconds).
MIN_LOCK_TIMEOUT = 5.0


def document_lock(document_id: uuid.UUID) -> str:
    """The name of the lock every writer of a document's segments, vectors and terms takes."""
    return f"document:{document_id}"


@inject
@dataclass
class DocumentLocks:
    kv_store: KeyValueStore
    settings: Settings

    @property
    def timeout(self) -> float:
        """Longest a single locked write step may hold the lock: a lease, so the lock of a killed
        worker frees itself as soon as its build's lease does."""
        return max(self.settings.celery.indexing_lease_seconds, MIN_LOCK_TIMEOUT)

    def hold(self, document_id: uuid.UUID) -> AbstractContextManager:
        return self.kv_store.lock(document_lock(document_id), timeout=self.timeout)
