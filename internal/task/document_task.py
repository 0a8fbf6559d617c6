"""Background work on documents: building their index, removing it once they are deleted, and the
periodic sweep that recovers builds whose worker is gone."""

import uuid

from celery import shared_task
from flask import current_app

from internal.service import task_names
from internal.service.indexing_service import IndexingService


def _indexing_service() -> IndexingService:
    return current_app.extensions["injector"].get(IndexingService)


@shared_task(name=task_names.BUILD_DOCUMENTS)
def build_documents(document_ids: list[str]) -> None:
    """Parse, split, embed and index each document; progress and errors are recorded on its row."""
    _indexing_service().build_documents([uuid.UUID(document_id) for document_id in document_ids])


@shared_task(name=task_names.DELETE_DOCUMENT)
def delete_document(document_id: str, cleanup_id: str | None = None) -> None:
    """Remove a deleted document's vectors and any segment or term rows left behind."""
    _indexing_service().delete_document_index(uuid.UUID(document_id), uuid.UUID(cleanup_id) if cleanup_id else None)


@shared_task(name=task_names.SWEEP_INDEXING)
def sweep_indexing() -> None:
    """Re-queue or fail the builds whose worker is gone (Celery beat, or a timer when embedded)."""
    _indexing_service().sweep_stale_builds()
