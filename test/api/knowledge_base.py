"""Building blocks for the knowledge-base tests: datasets, uploads and built documents made
through the API, polling with a deadline, and looks into the indexes the API writes."""

import io
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from langchain_core.embeddings import Embeddings
from sqlalchemy import func, select

from internal.core.retrieval.keyword_index import KeywordIndex
from internal.extension.database import db
from internal.extension.kv_store import KeyValueStore
from internal.extension.vector_store import VectorStore
from internal.model import Segment, SegmentTerm, UploadFile
from test.api.assertions import success_data

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "documents"
ICON = "https://cdn.example.com/dataset.png"
BUILD_TIMEOUT = 120.0
FINISHED = ("completed", "error")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def wait_for(app: Flask, condition: Callable[[], Any], what: str, timeout: float = BUILD_TIMEOUT) -> Any:
    """Poll `condition` until it returns something truthy; on timeout fail with the worker's log."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            worker = app.extensions.get("test_celery_worker")
            log = f"\n--- celery worker log ---\n{worker.log()}" if worker else ""
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}{log}")
        time.sleep(0.05)


def create_dataset(client, member, name: str | None = None, **fields) -> str:
    """Creates a dataset through the API and returns its id (the create response carries none)."""
    name = name or f"知识库-{uuid.uuid4().hex[:8]}"
    resp = client.post("/datasets", json={"name": name, "icon": ICON, **fields}, headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "创建知识库成功"}, resp.json
    listed = client.get("/datasets", query_string={"search_word": name}, headers=member.headers).json["data"]["list"]
    return next(item["id"] for item in listed if item["name"] == name)


def upload(client, member, name: str, content: bytes) -> str:
    resp = client.post(
        "/upload-files/file",
        data={"file": (io.BytesIO(content), name)},
        headers=member.headers,
        content_type="multipart/form-data",
    )
    return success_data(resp)["id"]


def upload_image(client, member) -> str:
    """The record id of an uploaded image (its answer carries only the URL)."""
    resp = client.post(
        "/upload-files/image",
        data={"file": (io.BytesIO(PNG), "picture.png")},
        headers=member.headers,
        content_type="multipart/form-data",
    )
    assert resp.json["code"] == "success", resp.json
    key = resp.json["data"]["image_url"].split("/upload-files/", 1)[1]
    with client.application.app_context():
        try:
            return str(db.session.scalar(select(UploadFile.id).where(UploadFile.key == key)))
        finally:
            db.session.remove()


def upload_fixture(client, member, name: str) -> str:
    return upload(client, member, name, (FIXTURES / name).read_bytes())


def add_documents(client, member, dataset_id: str, upload_file_ids: list[str], **body) -> dict:
    body = {"upload_file_ids": upload_file_ids, "process_type": "automatic", **body}
    resp = client.post(f"/datasets/{dataset_id}/documents", json=body, headers=member.headers)
    return success_data(resp)


def batch_progress(client, member, dataset_id: str, batch: str) -> list[dict]:
    resp = client.get(f"/datasets/{dataset_id}/documents/batch/{batch}", headers=member.headers)
    return success_data(resp)


def wait_for_batch(app, client, member, dataset_id: str, batch: str) -> list[dict]:
    """The batch's progress once every document is completed or failed."""

    def finished():
        progress = batch_progress(client, member, dataset_id, batch)
        return progress if all(item["status"] in FINISHED for item in progress) else None

    return wait_for(app, finished, f"batch {batch} to finish")


def build_document(app, client, member, dataset_id: str, name: str, content: bytes, **body) -> dict:
    """Uploads one file, adds it to the dataset and waits for the build; returns its progress row."""
    data = add_documents(client, member, dataset_id, [upload(client, member, name, content)], **body)
    [progress] = wait_for_batch(app, client, member, dataset_id, data["batch"])
    return progress


def list_segments(client, member, dataset_id: str, document_id: str, **query) -> list[dict]:
    resp = client.get(
        f"/datasets/{dataset_id}/documents/{document_id}/segments",
        query_string={"page_size": 50, **query},
        headers=member.headers,
    )
    return success_data(resp)["list"]


def service(app: Flask, cls):
    return app.extensions["injector"].get(cls)


def vector_hits(app: Flask, dataset_id: str, text: str, k: int = 10) -> dict[str, float]:
    """What the vector store returns for `text` in the dataset: segment id -> score (enabled segments only)."""
    with app.app_context():
        vector = service(app, Embeddings).embed_documents([text])[0]
        hits = service(app, VectorStore).search([uuid.UUID(dataset_id)], vector, k)
    return {str(hit.segment_id): hit.score for hit in hits}


def keyword_hits(app: Flask, dataset_id: str, query: str, k: int = 10) -> list[str]:
    """What full-text retrieval returns for `query` in the dataset (searchable segments only)."""
    with app.app_context():
        try:
            hits = service(app, KeywordIndex).search([uuid.UUID(dataset_id)], query, k)
            return [str(segment_id) for segment_id, _ in hits]
        finally:
            db.session.remove()


def stored_rows(app: Flask, document_id: str) -> tuple[int, int]:
    """Segment and keyword-term rows the database holds for a document, deleted or not."""
    with app.app_context():
        try:
            document = uuid.UUID(document_id)
            segments = db.session.scalar(select(func.count()).where(Segment.document_id == document))
            terms = db.session.scalar(select(func.count()).where(SegmentTerm.document_id == document))
            return segments, terms
        finally:
            db.session.remove()


def build_running(app: Flask, document_id: str) -> bool:
    """Whether a build of the document is in progress anywhere (it holds a claim while it runs)."""
    with app.app_context():
        return service(app, KeyValueStore).exists(f"document-build:{document_id}")
