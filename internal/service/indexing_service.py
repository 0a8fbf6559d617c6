"""The knowledge-base indexing pipeline: uploaded files become segments with vectors and keyword
terms, and the indexes of deleted documents and datasets are removed.

Every write that could race with a user's edit or deletion of the same document runs under that
document's lock and first checks that the document still exists, so a deletion always wins.
Slow work (reading the file, parsing, embeddings) runs with no database transaction open.

Faults: a build holds a short lease on its document, renewed while it runs, and writes only while
it still holds it. A build interrupted by the key-value store or the database going away leaves
the document as it is; so does a killed worker. Once the lease has run out, the periodic sweep
re-queues the build (which starts from a clean slate), or fails the document after
`INDEXING_MAX_ATTEMPTS` interrupted builds. Until it completes, nothing of a document is
searchable (retrieval reads only completed documents; its vectors stay disabled).
"""

import hashlib
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from injector import inject
from langchain_core.embeddings import Embeddings
from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from config import Settings
from internal.core.file_extractor import FileExtractError, extract_text
from internal.core.retrieval.keyword_index import KeywordIndex
from internal.core.text_processing import cleaning, splitter
from internal.core.text_processing.keywords import extract_keywords
from internal.core.text_processing.tokens import count_tokens
from internal.extension.database import utcnow
from internal.extension.kv_store import KeyValueStore, KeyValueStoreUnavailable
from internal.extension.task_queue import TaskQueue
from internal.extension.storage import ObjectNotFoundError, ObjectStorage, StorageError
from internal.extension.vector_store.base import VectorRecord, VectorStore
from internal.model import Document, DocumentStatus, IndexCleanup, Segment, SegmentStatus, UploadFile

from .app_config_service import AppConfigService
from .base_service import BaseService
from .document_lock import DocumentLocks
from .task_names import BUILD_DOCUMENTS, DELETE_DATASET, DELETE_DOCUMENT

logger = logging.getLogger(__name__)

GENERIC_BUILD_ERROR = "文档处理失败，请稍后重试"
INTERRUPTED_BUILD_ERROR = "文档处理多次中断，请稍后重新上传"

# A build in one of these states has started; the sweeper looks for those whose worker is gone.
BUILDING = (DocumentStatus.PARSING.value, DocumentStatus.SPLITTING.value, DocumentStatus.INDEXING.value)
SWEEP_LEASE = "indexing-sweep"


def build_lease(document_id: uuid.UUID) -> str:
    """The key a running build of the document holds (renewed while it runs)."""
    return f"document-build:{document_id}"


def _is_transient(exc: BaseException) -> bool:
    """An infrastructure fault that passes (store or database unreachable): the build is retried later."""
    if isinstance(exc, (KeyValueStoreUnavailable, OperationalError, InterfaceError)):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def segment_hash(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def segment_totals(session: Session, document_id: uuid.UUID) -> tuple[int, int]:
    """A document's characters and tokens: the sums over its segments."""
    characters, tokens = session.execute(
        select(func.coalesce(func.sum(Segment.character_count), 0), func.coalesce(func.sum(Segment.token_count), 0))
        .where(Segment.document_id == document_id)
    ).one()
    return int(characters), int(tokens)


class DocumentBuildError(Exception):
    """A build failure with a message fit for the user (stored in the document's `error`)."""


class DocumentGone(Exception):
    """The document was deleted while it was being built: stop and leave nothing behind."""


class LeaseLost(Exception):
    """This build's lease ran out (its renewals failed): another build may own the document now,
    so stop without touching anything."""


class _BuildLease:
    """A build's hold on its document: taken before it starts, renewed by a background thread
    every third of its lifetime, and checked under the document's lock before each write."""

    def __init__(self, kv_store: KeyValueStore, document_id: uuid.UUID, ttl: float):
        self.kv_store = kv_store
        self.key = build_lease(document_id)
        self.owner = uuid.uuid4().hex
        self.ttl = ttl
        self._stopped = threading.Event()
        self._lost = threading.Event()
        self._renewer: threading.Thread | None = None

    def acquire(self) -> bool:
        if not self.kv_store.acquire_lease(self.key, self.owner, self.ttl):
            return False
        self._renewer = threading.Thread(target=self._renew, daemon=True, name="llmops-build-lease")
        self._renewer.start()
        return True

    def _renew(self) -> None:
        while not self._stopped.wait(self.ttl / 3):
            try:
                if not self.kv_store.renew_lease(self.key, self.owner, self.ttl):
                    self._lost.set()
                    return
            except KeyValueStoreUnavailable:
                pass  # the next renewal may get through before the lease runs out

    def check(self) -> None:
        """Raise LeaseLost unless this build still holds the lease (renewing it on the way)."""
        if self._lost.is_set() or not self.kv_store.renew_lease(self.key, self.owner, self.ttl):
            self._lost.set()
            raise LeaseLost()

    def release(self) -> None:
        self._stopped.set()
        if self._renewer is not None:
            self._renewer.join()
        try:
            self.kv_store.release_lease(self.key, self.owner)
        except KeyValueStoreUnavailable:
            pass  # it runs out by itself


@dataclass(frozen=True)
class _PendingSegment:
    id: uuid.UUID
    content: str


@inject
@dataclass
class IndexingService(BaseService):
    settings: Settings
    storage: ObjectStorage
    embeddings: Embeddings
    vector_store: VectorStore
    keyword_index: KeywordIndex
    kv_store: KeyValueStore
    document_locks: DocumentLocks
    task_queue: TaskQueue
    app_config_service: AppConfigService

    # --- building -----------------------------------------------------------------------------

    def build_documents(self, document_ids: Sequence[uuid.UUID]) -> None:
        """Build each document in turn; one document's failure is recorded on it and does not stop the rest."""
        for document_id in document_ids:
            self.build_document(document_id)

    def build_document(self, document_id: uuid.UUID) -> None:
        lease = _BuildLease(self.kv_store, document_id, self.settings.celery.indexing_lease_seconds)
        try:
            if not lease.acquire():
                logger.info("Document %s is already being built; skipping the duplicate", document_id)
                return
        except KeyValueStoreUnavailable:
            logger.warning("Cannot claim document %s: the key-value store is unreachable", document_id)
            return
        try:
            self._build(document_id, lease)
        except LeaseLost:
            logger.warning("Building document %s stopped: its lease ran out", document_id)
            self._rollback()
        except DocumentGone:
            logger.info("Document %s was deleted while being built", document_id)
            self._discard_index(document_id)
        except DocumentBuildError as exc:
            self._record_failure(document_id, str(exc))
        except Exception as exc:
            self._rollback()
            if _is_transient(exc):
                # Left as it is: once the fault has passed, the sweep re-queues it.
                logger.warning("Building document %s was interrupted: %s", document_id, exc)
            elif self.db.session.get(Document, document_id) is None:
                # A write lost the race with the document's deletion (a foreign key, say).
                self._discard_index(document_id)
            else:
                logger.exception("Building document %s failed", document_id)
                self._record_failure(document_id, GENERIC_BUILD_ERROR)
        finally:
            self.db.session.close()
            lease.release()

    def _build(self, document_id: uuid.UUID, lease: _BuildLease) -> None:
        document = self.db.session.get(Document, document_id)
        if document is None or document.status == DocumentStatus.COMPLETED:
            return  # deleted before it started, or a retry of a build that already finished
        if document.build_attempts >= self.settings.celery.indexing_max_attempts:
            raise DocumentBuildError(INTERRUPTED_BUILD_ERROR)  # earlier builds kept dying (a killed worker)
        account_id, dataset_id, upload_file_id, rule = (
            document.account_id,
            document.dataset_id,
            document.upload_file_id,
            document.rule,
        )

        # A retried build starts from a clean slate, so it never duplicates segments or vectors.
        retried = document.status != DocumentStatus.WAITING or document.processing_started_at is not None
        with self._locked_alive(document_id, lease):
            if retried:
                self._delete_index_rows(document_id)
                self.vector_store.delete_document(document_id)
            self._update_document(
                document_id,
                build_attempts=Document.build_attempts + 1,
                status=DocumentStatus.PARSING,
                processing_started_at=utcnow(),
                parsing_completed_at=None,
                splitting_completed_at=None,
                indexing_completed_at=None,
                completed_at=None,
                stopped_at=None,
                error="",
                enabled=False,
                disabled_at=None,
                character_count=0,
                token_count=0,
            )
            self.db.session.commit()

        text = self._parse(account_id, upload_file_id)
        self._advance(document_id, DocumentStatus.SPLITTING, parsing_completed_at=utcnow())

        chunks = self._split(text, rule)
        pending = self._create_segments(document_id, account_id, dataset_id, chunks, lease)
        self._index_segments(document_id, dataset_id, pending, lease)
        self._complete(document_id, [segment.id for segment in pending], lease)

    def _parse(self, account_id: uuid.UUID, upload_file_id: uuid.UUID | None) -> str:
        upload = self.db.session.get(UploadFile, upload_file_id) if upload_file_id else None
        if upload is None or upload.account_id != account_id:
            raise DocumentBuildError("文档关联的上传文件不存在")
        key, extension = upload.key, upload.extension
        self.db.session.close()  # reading from object storage and parsing may take a while

        try:
            data = self.storage.load(key)
        except ObjectNotFoundError:
            raise DocumentBuildError("上传文件内容不存在") from None
        except StorageError:
            logger.exception("Loading upload %s failed", key)
            raise DocumentBuildError("读取上传文件失败，请稍后重试") from None
        try:
            return extract_text(data, extension)
        except FileExtractError as exc:
            raise DocumentBuildError(str(exc)) from None

    @staticmethod
    def _split(text: str, rule: dict) -> list[str]:
        enabled_rules = [item["id"] for item in rule.get("pre_process_rules", []) if item.get("enabled")]
        segment_rule = rule["segment"]
        cleaned = cleaning.clean_text(text, enabled_rules)
        pieces = splitter.split_text(
            cleaned, segment_rule["separators"], segment_rule["chunk_size"], segment_rule["chunk_overlap"]
        )
        chunks, seen = [], set()
        for piece in pieces:
            content = piece.strip()
            digest = segment_hash(content) if content else None
            # The same text twice in one document is indexed once.
            if content and digest not in seen:
                seen.add(digest)
                chunks.append(content)
        if not chunks:
            raise DocumentBuildError("文档中没有可以索引的文本内容")
        return chunks

    def _create_segments(
        self,
        document_id: uuid.UUID,
        account_id: uuid.UUID,
        dataset_id: uuid.UUID,
        chunks: list[str],
        lease: _BuildLease,
    ) -> list[_PendingSegment]:
        """All segments of the document in one insert, waiting for their vectors, committed with
        the move to `indexing`; keywords come later, computed while the next batch is embedded."""
        now = utcnow()
        rows = [
            {
                "id": uuid.uuid4(),
                "account_id": account_id,
                "dataset_id": dataset_id,
                "document_id": document_id,
                "position": position,
                "content": content,
                "character_count": len(content),
                "token_count": count_tokens(content),
                "keywords": [],
                "hash": segment_hash(content),
                "hit_count": 0,
                "status": SegmentStatus.WAITING.value,
                "error": "",
                "enabled": False,
                "processing_started_at": now,
                "updated_at": now,
                "created_at": now,
            }
            for position, content in enumerate(chunks, start=1)
        ]
        with self._locked_alive(document_id, lease):
            self.db.session.execute(insert(Segment), rows)
            self._update_document(document_id, status=DocumentStatus.INDEXING, splitting_completed_at=now)
            self.db.session.commit()
        return [_PendingSegment(row["id"], row["content"]) for row in rows]

    def _index_segments(
        self, document_id: uuid.UUID, dataset_id: uuid.UUID, pending: list[_PendingSegment], lease: _BuildLease
    ) -> None:
        # One step per embedding batch: one model call, then one commit (and one progress update),
        # small enough that writing a step overlaps embedding the next even for short documents.
        size = self.settings.embeddings.embedding_batch_size
        batches = [pending[start : start + size] for start in range(0, len(pending), size)]
        with closing(_embedded_ahead(self.embeddings, batches)) as embedded:
            for batch, vectors in embedded:
                self._write_batch(document_id, dataset_id, batch, vectors, lease)

    def _write_batch(
        self,
        document_id: uuid.UUID,
        dataset_id: uuid.UUID,
        batch: list[_PendingSegment],
        vectors: list[list[float]],
        lease: _BuildLease,
    ) -> None:
        """One step of progress: a batch's vectors, keywords, terms and status, in one commit."""
        keywords = [extract_keywords(segment.content) for segment in batch]
        now = utcnow()
        with self._locked_alive(document_id, lease):
            # Hidden until the document completes: the vector's flag combines segment and document.
            self.vector_store.upsert(
                VectorRecord(segment.id, document_id, dataset_id, vector, enabled=False)
                for segment, vector in zip(batch, vectors, strict=True)
            )
            self.db.session.execute(
                update(Segment),
                [
                    {
                        "id": segment.id,
                        "keywords": words,
                        "status": SegmentStatus.COMPLETED.value,
                        "enabled": True,
                        "indexing_completed_at": now,
                        "completed_at": now,
                        "updated_at": now,
                    }
                    for segment, words in zip(batch, keywords, strict=True)
                ],
            )
            # What the keyword index reads, without loading the rows back: transient, never added.
            self.keyword_index.add_segments(
                Segment(id=segment.id, dataset_id=dataset_id, document_id=document_id, content=segment.content)
                for segment in batch
            )
            self.db.session.commit()

    def _complete(self, document_id: uuid.UUID, segment_ids: list[uuid.UUID], lease: _BuildLease) -> None:
        """The document goes live: its vectors are switched on with it (every new segment is enabled)."""
        with self._locked_alive(document_id, lease):
            characters, tokens = segment_totals(self.db.session, document_id)
            now = utcnow()
            self._update_document(
                document_id,
                status=DocumentStatus.COMPLETED,
                indexing_completed_at=now,
                completed_at=now,
                enabled=True,
                character_count=characters,
                token_count=tokens,
            )
            self.vector_store.set_enabled(segment_ids, True)
            self.db.session.commit()

    def _record_failure(self, document_id: uuid.UUID, message: str) -> None:
        """Status `error` with the message, and none of the document's segments, terms or vectors left.

        Recorded in the database even when the key-value store (and with it the lock) is down:
        a deletion still wins, since the update then finds no row.
        """
        self._rollback()
        try:
            try:
                with self.document_locks.hold(document_id):
                    self._fail(document_id, message)
            except KeyValueStoreUnavailable:
                self._rollback()
                self._fail(document_id, message)
        except DocumentGone:
            self._rollback()
            try:
                self._discard_index(document_id)
            except KeyValueStoreUnavailable:
                logger.warning("The index of deleted document %s stays until its removal task runs", document_id)
        except Exception:
            self._rollback()
            logger.exception("Recording the failure of document %s failed", document_id)

    def _fail(self, document_id: uuid.UUID, message: str) -> None:
        self._delete_index_rows(document_id)
        self._update_document(
            document_id,
            status=DocumentStatus.ERROR,
            error=message,
            stopped_at=utcnow(),
            enabled=False,
            character_count=0,
            token_count=0,
        )
        self.db.session.commit()
        try:
            self.vector_store.delete_document(document_id)
        except Exception:
            # Harmless meanwhile: they were never enabled, and a new build replaces them.
            logger.warning("The vectors of failed document %s could not be removed", document_id, exc_info=True)

    # --- the sweep ----------------------------------------------------------------------------

    def sweep_stale_builds(self) -> None:
        """Re-queue the builds whose worker is gone (no lease held), or fail their document once
        too many builds were interrupted, and the cleanups of deletions whose task was lost or
        failed; one sweep at a time over all processes.

        A started build counts as gone once its lease has run out; a `waiting` document once it
        has waited past the broker's redelivery time (its message is lost, or the embedded
        profile's in-memory queue went with a restart).
        """
        jobs = self.settings.celery
        if not self.kv_store.acquire_lease(SWEEP_LEASE, uuid.uuid4().hex, jobs.indexing_sweep_interval * 0.8):
            return  # another process swept within this interval (several beats, say)
        now = utcnow()
        started_before = now - timedelta(seconds=jobs.indexing_lease_seconds)
        queued_before = now - timedelta(seconds=max(jobs.indexing_lease_seconds, jobs.celery_visibility_timeout))
        stale = self.db.session.execute(
            select(Document.id, Document.build_attempts).where(
                or_(
                    and_(Document.status.in_(BUILDING), Document.updated_at < started_before),
                    and_(Document.status == DocumentStatus.WAITING.value, Document.updated_at < queued_before),
                )
            )
        ).all()
        cleanups = self.db.session.execute(
            select(IndexCleanup.id, IndexCleanup.dataset_id, IndexCleanup.document_ids, IndexCleanup.whole_dataset).where(
                IndexCleanup.updated_at < queued_before
            )
        ).all()
        self.db.session.close()
        for document_id, attempts in stale:
            try:
                self._sweep(document_id, attempts)
            except Exception:
                self._rollback()
                logger.exception("Sweeping document %s failed", document_id)
        for cleanup in cleanups:
            try:
                self._requeue_cleanup(*cleanup)
            except Exception:
                self._rollback()
                logger.exception("Re-queueing index cleanup %s failed", cleanup.id)

    def _requeue_cleanup(
        self, cleanup_id: uuid.UUID, dataset_id: uuid.UUID, document_ids: list[str], whole_dataset: bool
    ) -> None:
        """A deletion's cleanup whose task was lost or failed (the database or the store was down)."""
        with self.db.auto_commit():
            self.db.session.execute(update(IndexCleanup).where(IndexCleanup.id == cleanup_id).values(updated_at=utcnow()))
        logger.warning("Re-queueing index cleanup %s of dataset %s", cleanup_id, dataset_id)
        if whole_dataset:
            self.task_queue.enqueue(DELETE_DATASET, str(dataset_id), document_ids, str(cleanup_id))
        else:
            for document_id in document_ids:
                self.task_queue.enqueue(DELETE_DOCUMENT, document_id, str(cleanup_id))

    def _sweep(self, document_id: uuid.UUID, attempts: int) -> None:
        # Holding the build's lease keeps a build from starting while the document is handled.
        lease = _BuildLease(self.kv_store, document_id, self.settings.celery.indexing_lease_seconds)
        if not self.kv_store.acquire_lease(lease.key, lease.owner, lease.ttl):
            return  # a build is running
        try:
            if attempts >= self.settings.celery.indexing_max_attempts:
                logger.warning("Document %s failed: %d builds were interrupted", document_id, attempts)
                self._record_failure(document_id, INTERRUPTED_BUILD_ERROR)
                return
            # Touched, so the next sweeps leave it alone until this build had its chance.
            with self.db.auto_commit():
                self.db.session.execute(update(Document).where(Document.id == document_id).values(updated_at=utcnow()))
        finally:
            lease.release()
        logger.warning("Re-queueing the build of document %s (its worker is gone)", document_id)
        self.task_queue.enqueue(BUILD_DOCUMENTS, [str(document_id)])

    # --- removal ------------------------------------------------------------------------------

    def delete_document_index(self, document_id: uuid.UUID, cleanup_id: uuid.UUID | None = None) -> None:
        """What remains of a deleted document: its vectors, plus any rows a racing writer left."""
        self._discard_index(document_id)
        self._cleaned(cleanup_id)

    def delete_dataset_index(
        self, dataset_id: uuid.UUID, document_ids: Sequence[uuid.UUID], cleanup_id: uuid.UUID | None = None
    ) -> None:
        """What remains of a deleted dataset once its rows are gone: vectors, stray rows, app bindings."""
        for document_id in document_ids:
            # A barrier: a build step of the document in flight finishes first, and every later
            # step finds the document gone and removes what it wrote itself.
            with self.document_locks.hold(document_id):
                pass
        with self.db.auto_commit():
            self.keyword_index.remove_dataset(dataset_id)
            self.db.session.execute(delete(Segment).where(Segment.dataset_id == dataset_id))
        self.vector_store.delete_dataset(dataset_id)
        self._unbind_from_apps(dataset_id)
        self._cleaned(cleanup_id)

    def _cleaned(self, cleanup_id: uuid.UUID | None) -> None:
        if cleanup_id is not None:
            with self.db.auto_commit():
                self.db.session.execute(delete(IndexCleanup).where(IndexCleanup.id == cleanup_id))

    def _unbind_from_apps(self, dataset_id: uuid.UUID) -> None:
        """Apps can no longer reference a deleted dataset, in their draft or published config."""
        self.app_config_service.unbind_dataset(dataset_id)

    def _discard_index(self, document_id: uuid.UUID) -> None:
        with self.document_locks.hold(document_id):
            try:
                self._delete_index_rows(document_id)
                self.db.session.commit()
            except Exception:
                self.db.session.rollback()
                raise
            self.vector_store.delete_document(document_id)

    # --- helpers ------------------------------------------------------------------------------

    def _delete_index_rows(self, document_id: uuid.UUID) -> None:
        self.keyword_index.remove_document(document_id)
        self.db.session.execute(delete(Segment).where(Segment.document_id == document_id))

    def _rollback(self) -> None:
        try:
            self.db.session.rollback()
        except Exception:
            logger.warning("Rolling back failed (the database is unreachable?)", exc_info=True)

    def _advance(self, document_id: uuid.UUID, status: DocumentStatus, **timestamps: datetime) -> None:
        try:
            self._update_document(document_id, status=status, **timestamps)
            self.db.session.commit()
        except Exception:
            self.db.session.rollback()
            raise

    def _update_document(self, document_id: uuid.UUID, **values) -> None:
        if "status" in values:
            values["status"] = DocumentStatus(values["status"]).value
        result = self.db.session.execute(
            update(Document).where(Document.id == document_id).values(updated_at=utcnow(), **values)
        )
        if result.rowcount == 0:
            raise DocumentGone()

    @contextmanager
    def _locked_alive(self, document_id: uuid.UUID, lease: _BuildLease) -> Iterator[None]:
        """The document's lock, held while the block writes; the block only runs if this build
        still holds its lease and the document still exists, and everything it wrote is rolled
        back if it fails."""
        with self.document_locks.hold(document_id):
            try:
                lease.check()
                if self.db.session.scalar(select(Document.id).where(Document.id == document_id)) is None:
                    raise DocumentGone()
                yield
            except BaseException:
                self.db.session.rollback()
                raise


def _embedded_ahead(
    embeddings: Embeddings, batches: list[list[_PendingSegment]]
) -> Iterator[tuple[list[_PendingSegment], list[list[float]]]]:
    """Yields each batch with its vectors while the next batch is already being embedded on a
    helper thread, so writing one batch overlaps with embedding the next."""
    ready: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def produce(embed: Callable[[list[str]], list[list[float]]]) -> None:
        try:
            for batch in batches:
                if stop.is_set():
                    return
                ready.put((batch, embed([segment.content for segment in batch]), None))
        except BaseException as exc:  # handed to the consumer, which raises it
            ready.put((None, None, exc))

    producer = threading.Thread(target=produce, args=(embeddings.embed_documents,), daemon=True, name="llmops-embed")
    producer.start()
    try:
        for _ in batches:
            batch, vectors, error = ready.get()
            if error is not None:
                logger.error("Embedding segments failed", exc_info=error)
                raise DocumentBuildError("文本向量化失败，请稍后重试") from error
            yield batch, vectors
    finally:
        stop.set()
        # Unblock a producer waiting on a full queue, then let it finish its current batch.
        while producer.is_alive():
            try:
                ready.get(timeout=0.1)
            except queue.Empty:
                pass
