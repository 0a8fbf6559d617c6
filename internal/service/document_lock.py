"""The per-document lock: every writer of a document's segments, vectors and keyword terms
(builds, segment edits, switches, deletions) takes it, so a deletion always wins a race."""

import uuid

# Longest a single locked write step may hold a document's lock (seconds).
LOCK_TIMEOUT = 120


def document_lock(document_id: uuid.UUID) -> str:
    """The name of the lock every writer of a document's segments, vectors and terms takes."""
    return f"document:{document_id}"
