"""Background indexing survives faults (production profile): a real Celery worker with beat, on
PostgreSQL and on Redis reached through a TCP proxy the test can cut.

A build is caught half-way (a slow fake embeddings endpoint), then its worker is killed with
SIGKILL or Redis is cut; once the fault is over the document must end `completed` with exactly its
segments, terms and vectors, and nothing of it may be searchable before. Deletions whose cleanup
messages are lost with a killed worker still leave no vectors or rows behind.
"""

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import func, select

from config import Profile, Settings
from config.settings import (
    CelerySettings,
    DatabaseSettings,
    EmbeddingProvider,
    EmbeddingSettings,
    ProviderSettings,
    RedisSettings,
    SecuritySettings,
)
from internal.extension.database import db
from internal.extension.vector_store.embedded_collection import LIVE, Collection
from internal.model import IndexCleanup, Segment, SegmentTerm
from internal.server import create_app
from internal.server.http import MIGRATIONS_DIR
from test.api.knowledge_base import (
    add_documents,
    batch_progress,
    build_document,
    build_running,
    create_dataset,
    keyword_hits,
    upload,
    vector_hits,
    wait_for,
)
from test.celery_worker import CeleryWorker
from test.conftest import POSTGRES_ADMIN_DSN, Member, create_member, make_settings
from test.fakes.openai_server import FakeOpenAI
from test.fakes.tcp_proxy import TcpProxy

PARAGRAPHS = 104  # one segment each
LEASE_SECONDS = 2.0
SWEEP_INTERVAL = 1.0
VISIBILITY_TIMEOUT = 10
# After the fault: the lease runs out, a sweep notices, the build runs again from scratch.
RECOVERY_TIMEOUT = 60.0


def paragraphs(count: int) -> bytes:
    """Paragraphs of ~300 tokens, so the automatic rule (500-token chunks) makes one segment of each."""
    lines = []
    for number in range(count):
        words = " ".join(f"topic{number}word{index}" for index in range(70))
        lines.append(f"第{number}段：关于主题{number}的说明。{words}")
    return "\n\n".join(lines).encode()


@dataclass
class FaultyStack:
    app: Flask
    client: FlaskClient
    proxy: TcpProxy  # to Redis
    database_proxy: TcpProxy
    worker: CeleryWorker
    settings: Settings
    storage_dir: Path

    def restart_worker(self) -> None:
        self.worker = CeleryWorker(self.settings, self.storage_dir / "celery-worker.log", beat=True)
        self.worker.start(self.app.extensions["celery"])
        self.app.extensions["test_celery_worker"] = self.worker


@pytest.fixture(scope="module")
def faulty(request, tmp_path_factory, redis_url) -> Iterator[FaultyStack]:
    """An API app and a worker (with beat) whose Redis (broker included) and PostgreSQL go through
    proxies, on a database of their own (so this worker's sweeps see only these tests' documents)."""
    name = f"llmops_faults_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(POSTGRES_ADMIN_DSN, connect_timeout=3)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    request.addfinalizer(admin.close)
    request.addfinalizer(lambda: admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    redis_parts = urlsplit(redis_url)
    proxy = TcpProxy(redis_parts.hostname or "127.0.0.1", redis_parts.port or 6379).start()
    request.addfinalizer(proxy.stop)
    proxied_redis = urlunsplit(redis_parts._replace(netloc=f"127.0.0.1:{proxy.port}"))

    postgres_parts = urlsplit(POSTGRES_ADMIN_DSN)
    database_proxy = TcpProxy(postgres_parts.hostname or "127.0.0.1", postgres_parts.port or 5432).start()
    request.addfinalizer(database_proxy.stop)
    user = postgres_parts.netloc.rpartition("@")[0]
    proxied_netloc = f"{user}@127.0.0.1:{database_proxy.port}" if user else f"127.0.0.1:{database_proxy.port}"
    database_url = urlunsplit(postgres_parts._replace(netloc=proxied_netloc, path=f"/{name}"))

    model = FakeOpenAI(api_key="sk-test-faults").start()
    request.addfinalizer(model.stop)
    model.embedding_delay = 0.1  # with 4 texts a request: a 104-segment build takes a few seconds

    storage_dir = tmp_path_factory.mktemp("faults")
    settings = make_settings(
        storage_dir,
        llmops_profile=Profile.PRODUCTION,
        database=DatabaseSettings(_env_file=None, sqlalchemy_database_uri=database_url),
        redis=RedisSettings(_env_file=None, redis_url=proxied_redis),
        celery=CelerySettings(
            _env_file=None,
            celery_broker_url=proxied_redis,
            celery_indexing_queue=f"llmops-faults-{uuid.uuid4().hex[:12]}",
            celery_visibility_timeout=VISIBILITY_TIMEOUT,
            indexing_lease_seconds=LEASE_SECONDS,
            indexing_sweep_interval=SWEEP_INTERVAL,
        ),
        security=SecuritySettings(_env_file=None, jwt_secret_key="test-" + "f" * 40, data_secret_key="data-" + "f" * 40),
        providers=ProviderSettings(
            _env_file=None, llm_max_retries=0, openai_api_key=model.api_key, openai_api_base=model.api_base
        ),
        embeddings=EmbeddingSettings(_env_file=None, embedding_provider=EmbeddingProvider.OPENAI, embedding_batch_size=4),
    )
    app = create_app(settings)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="heads")
    worker = CeleryWorker(settings, storage_dir / "celery-worker.log", beat=True)
    stack = FaultyStack(app, app.test_client(), proxy, database_proxy, worker, settings, storage_dir)
    request.addfinalizer(lambda: stack.worker.stop())
    worker.start(app.extensions["celery"])
    app.extensions["test_celery_worker"] = worker
    yield stack


@pytest.fixture
def member(faulty) -> Member:
    return create_member(faulty.app, faulty.client)


def start_build(stack: FaultyStack, member: Member) -> tuple[str, str, str]:
    """A dataset and a 104-segment document, returned once its build is part-way through indexing."""
    client = stack.client
    dataset_id = create_dataset(client, member)
    data = add_documents(client, member, dataset_id, [upload(client, member, "long.txt", paragraphs(PARAGRAPHS))])
    document_id = data["documents"][0]["id"]

    def part_way():
        [item] = batch_progress(client, member, dataset_id, data["batch"])
        assert item["status"] != "completed", "the build finished before the fault"
        return item["status"] == "indexing" and item["completed_segment_count"] >= 8

    wait_for(stack.app, part_way, "the build to be part-way through indexing", timeout=60)
    return dataset_id, document_id, data["batch"]


def hit_ids(stack: FaultyStack, member: Member, dataset_id: str, query: str, strategy: str) -> list[str]:
    body = {"query": query, "retrieval_strategy": strategy, "k": 10, "score": 0.0}
    resp = stack.client.post(f"/datasets/{dataset_id}/hit", json=body, headers=member.headers)
    assert resp.status_code == 200 and resp.json["code"] == "success", resp.json
    return [item["id"] for item in resp.json["data"]]


def assert_not_searchable(stack: FaultyStack, member: Member, dataset_id: str) -> None:
    assert hit_ids(stack, member, dataset_id, "topic3word7", "full_text") == []
    assert hit_ids(stack, member, dataset_id, "第3段：关于主题3的说明。", "semantic") == []


def wait_until_finished(stack: FaultyStack, member: Member, dataset_id: str, batch: str) -> dict:
    def finished():
        [item] = batch_progress(stack.client, member, dataset_id, batch)
        return item if item["status"] in ("completed", "error") else None

    return wait_for(stack.app, finished, "the document to be completed after the fault", timeout=RECOVERY_TIMEOUT)


def assert_built_exactly_once(stack: FaultyStack, member: Member, dataset_id: str, document_id: str, batch: str) -> None:
    """Completed with one segment per paragraph, each with its terms and one vector, nothing else."""
    progress = wait_until_finished(stack, member, dataset_id, batch)
    assert progress["status"] == "completed", progress
    assert progress["segment_count"] == progress["completed_segment_count"] == PARAGRAPHS
    document = stack.client.get(f"/datasets/{dataset_id}/documents/{document_id}", headers=member.headers).json["data"]
    assert document["status"] == "completed" and document["error"] == "" and document["enabled"] is True

    with stack.app.app_context():
        try:
            doc = uuid.UUID(document_id)
            segment_ids = set(db.session.scalars(select(Segment.id).where(Segment.document_id == doc)))
            positions = sorted(db.session.scalars(select(Segment.position).where(Segment.document_id == doc)))
            terms = select(SegmentTerm.segment_id).where(SegmentTerm.document_id == doc)
            term_segments = set(db.session.scalars(terms.distinct()))
            stray_terms = db.session.scalar(
                select(func.count()).select_from(terms.where(SegmentTerm.segment_id.not_in(segment_ids)).subquery())
            )
        finally:
            db.session.remove()
    assert positions == list(range(1, PARAGRAPHS + 1))  # no segment twice
    assert term_segments == segment_ids and stray_terms == 0

    vector_segments = live_vector_segments(stack, dataset_id, document_id)
    assert len(vector_segments) == len(set(vector_segments)) == PARAGRAPHS  # no vector left from the first try
    assert set(vector_segments) == segment_ids

    assert "topic3word7" in " ".join(
        segment["content"] for segment in _hit_segments(stack, member, dataset_id, "topic3word7")
    )
    assert not build_running(stack.app, document_id)  # a new build could start at once


def _hit_segments(stack: FaultyStack, member: Member, dataset_id: str, query: str) -> list[dict]:
    body = {"query": query, "retrieval_strategy": "full_text", "k": 3, "score": 0.0}
    return stack.client.post(f"/datasets/{dataset_id}/hit", json=body, headers=member.headers).json["data"]


def test_a_build_whose_worker_is_killed_is_completed_once_a_worker_is_back(faulty, member):
    dataset_id, document_id, batch = start_build(faulty, member)
    faulty.worker.kill()

    [item] = batch_progress(faulty.client, member, dataset_id, batch)
    assert item["status"] == "indexing" and 0 < item["completed_segment_count"] < PARAGRAPHS
    assert_not_searchable(faulty, member, dataset_id)

    faulty.restart_worker()
    assert_built_exactly_once(faulty, member, dataset_id, document_id, batch)


def test_a_build_cut_off_from_redis_is_completed_once_redis_is_back(faulty, member):
    dataset_id, document_id, batch = start_build(faulty, member)
    faulty.proxy.cut()
    try:
        time.sleep(LEASE_SECONDS * 3)  # the build's lease runs out meanwhile
        # (The API authenticates through Redis: looked at directly while it is cut off.)
        assert keyword_hits(faulty.app, dataset_id, "topic3word7") == []
        assert vector_hits(faulty.app, dataset_id, "第3段：关于主题3的说明。") == {}
    finally:
        faulty.proxy.restore()
    if not faulty.worker.running():
        # Celery's Redis transport can die on a lost connection while a task runs (kombu's
        # channel close re-reads connection details that are gone); production restarts it.
        faulty.restart_worker()
    assert_built_exactly_once(faulty, member, dataset_id, document_id, batch)


def test_a_build_cut_off_from_the_database_is_completed_once_it_is_back(faulty, member):
    dataset_id, document_id, batch = start_build(faulty, member)
    faulty.database_proxy.cut()
    try:
        time.sleep(LEASE_SECONDS * 2)  # the build fails at its next step; the sweeps fail too
    finally:
        faulty.database_proxy.restore()
    if not faulty.worker.running():
        faulty.restart_worker()
    assert_built_exactly_once(faulty, member, dataset_id, document_id, batch)


def live_vector_segments(stack: FaultyStack, dataset_id: str, document_id: str | None = None) -> list[uuid.UUID]:
    """Segment ids of the vectors the dataset's store holds (enabled or not), or only the document's."""
    snapshot = Collection(stack.storage_dir / "vector_store" / dataset_id).snapshot()
    if document_id is None:
        rows = (snapshot.flags & LIVE).astype(bool)
    else:
        rows = snapshot.live_rows_of_document(uuid.UUID(document_id))
    return [uuid.UUID(bytes=row.tobytes()) for row in snapshot.segment_ids[rows]]


def test_deletions_whose_messages_were_lost_with_a_killed_worker_leave_nothing_behind(faulty, member, redis_url):
    """A document deleted half-built while its worker is dead, and a dataset deleted with it; the
    broker then loses their cleanup messages (Redis restarted without its data, say)."""
    other_dataset = create_dataset(faulty.client, member)
    built = build_document(faulty.app, faulty.client, member, other_dataset, "short.txt", paragraphs(3))
    assert built["status"] == "completed" and len(live_vector_segments(faulty, other_dataset)) == 3
    dataset_id, document_id, _ = start_build(faulty, member)
    faulty.worker.kill()
    assert live_vector_segments(faulty, dataset_id, document_id)  # the killed build's (disabled) vectors

    resp = faulty.client.post(f"/datasets/{dataset_id}/documents/{document_id}/delete", headers=member.headers)
    assert resp.json["code"] == "success", resp.json
    resp = faulty.client.post(f"/datasets/{other_dataset}/delete", headers=member.headers)
    assert resp.json["code"] == "success", resp.json
    queue = faulty.settings.celery.celery_indexing_queue
    lost = redis.Redis.from_url(redis_url).delete(queue)
    assert lost == 1  # the two cleanup messages were waiting there

    faulty.restart_worker()

    def cleaned():
        with faulty.app.app_context():
            try:
                pending = db.session.scalar(select(func.count()).select_from(IndexCleanup))
            finally:
                db.session.remove()
        vectors_left = live_vector_segments(faulty, dataset_id, document_id) + live_vector_segments(faulty, other_dataset)
        return pending == 0 and not vectors_left

    wait_for(faulty.app, cleaned, "the lost cleanups to be done", timeout=RECOVERY_TIMEOUT)
    with faulty.app.app_context():
        try:
            for dataset in (uuid.UUID(dataset_id), uuid.UUID(other_dataset)):
                rows = db.session.scalar(select(func.count()).select_from(Segment).where(Segment.dataset_id == dataset))
                terms = db.session.scalar(select(func.count()).select_from(SegmentTerm).where(SegmentTerm.dataset_id == dataset))
                assert (rows, terms) == (0, 0)
        finally:
            db.session.remove()
