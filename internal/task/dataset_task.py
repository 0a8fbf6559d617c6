"""Background work on datasets: removing what a deleted dataset leaves outside its database rows."""

import uuid

from celery import shared_task
from flask import current_app

from internal.service import task_names
from internal.service.indexing_service import IndexingService


@shared_task(name=task_names.DELETE_DATASET)
def delete_dataset(dataset_id: str, document_ids: list[str], cleanup_id: str | None = None) -> None:
    """Remove the vectors, keyword terms and app bindings of a deleted dataset and its documents."""
    current_app.extensions["injector"].get(IndexingService).delete_dataset_index(
        uuid.UUID(dataset_id),
        [uuid.UUID(document_id) for document_id in document_ids],
        uuid.UUID(cleanup_id) if cleanup_id else None,
    )
