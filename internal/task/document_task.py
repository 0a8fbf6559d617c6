"""Background work on documents: building their index, and removing it once they are deleted."""

import uuid

from celery import shared_task
from flask import current_app

from internal.service.indexing_service import IndexingService


def _indexing_service() -> IndexingService:
    return current_app.extensions["injector"].get(IndexingService)


@shared_task
def build_documents(document_ids: list[str]) -> None:
    """Parse, split, embed and index each document; progress and errors are recorded on its row."""
    _indexing_service().build_documents([uuid.UUID(document_id) for document_id in document_ids])


@shared_task
def delete_document(document_id: str) -> None:
    """Remove a deleted document's vectors and any segment or term rows left behind."""
    _indexing_service().delete_document_index(uuid.UUID(document_id))
