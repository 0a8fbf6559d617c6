"""The indexing sweep of the embedded profile (a timer in the API process): builds left behind by a
process that died are re-queued, and failed once too many of them were interrupted."""

import uuid
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import update

from config.settings import CelerySettings
from internal.extension.database import db, utcnow
from internal.model import Document, DocumentStatus
from internal.server import create_app
from internal.service.indexing_service import INTERRUPTED_BUILD_ERROR
from test.api.knowledge_base import (
    add_documents,
    batch_progress,
    create_dataset,
    list_segments,
    upload,
    wait_for,
    wait_for_batch,
)
from test.conftest import _common_overrides, create_member, make_settings

TEXT = "第一段：知识库的文档在后台处理。\n\n第二段：进程重启之后，未完成的文档会被重新处理。".encode()


@pytest.fixture(scope="module")
def embedded_app(tmp_path_factory, fake_github, fake_llm) -> Flask:
    settings = make_settings(
        tmp_path_factory.mktemp("sweep"),
        celery=CelerySettings(
            _env_file=None,
            indexing_lease_seconds=1.0,
            indexing_sweep_interval=0.5,
            celery_visibility_timeout=1,
            indexing_max_attempts=2,
        ),
        **_common_overrides(fake_github, fake_llm),
    )
    return create_app(settings)


def left_behind(app: Flask, document_id: str, status: DocumentStatus, attempts: int) -> None:
    """What a process that died mid-build leaves: a document in `status`, untouched for a while."""
    with app.app_context():
        try:
            db.session.execute(
                update(Document)
                .where(Document.id == uuid.UUID(document_id))
                .values(status=status.value, build_attempts=attempts, updated_at=utcnow() - timedelta(minutes=5))
            )
            db.session.commit()
        finally:
            db.session.remove()


def test_a_build_a_dead_process_left_is_run_again_then_failed_after_too_many_tries(embedded_app):
    client = embedded_app.test_client()
    member = create_member(embedded_app, client)
    dataset_id = create_dataset(client, member)
    data = add_documents(client, member, dataset_id, [upload(client, member, "notes.txt", TEXT)])
    batch = data["batch"]
    [done] = wait_for_batch(embedded_app, client, member, dataset_id, batch)
    assert done["status"] == "completed"
    segments = {segment["id"] for segment in list_segments(client, member, dataset_id, done["id"])}

    left_behind(embedded_app, done["id"], DocumentStatus.INDEXING, attempts=1)

    def rebuilt():
        [item] = batch_progress(client, member, dataset_id, batch)
        return item if item["status"] == "completed" else None

    item = wait_for(embedded_app, rebuilt, "the sweep to build the document again", timeout=30)
    assert item["segment_count"] == item["completed_segment_count"] == done["segment_count"] >= 1
    rebuilt_segments = {segment["id"] for segment in list_segments(client, member, dataset_id, done["id"])}
    assert len(rebuilt_segments) == len(segments) and not rebuilt_segments & segments  # built afresh, nothing twice

    left_behind(embedded_app, done["id"], DocumentStatus.PARSING, attempts=2)

    def failed():
        [item] = batch_progress(client, member, dataset_id, batch)
        return item if item["status"] == "error" else None

    item = wait_for(embedded_app, failed, "the sweep to fail the document", timeout=30)
    assert item["error"] == INTERRUPTED_BUILD_ERROR
    assert item["segment_count"] == 0
    assert list_segments(client, member, dataset_id, done["id"]) == []
