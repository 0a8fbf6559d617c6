"""The knowledge-base indexing pipeline: uploaded files become segments with vectors and keyword
terms, and the indexes of deleted documents and datasets are removed.

Every write that could race with a user's edit or deletion of the same document runs under that
document's lock and first checks that the document still exists, so a deletion always wins.
Slow work (reading the file, parsing, embeddings) runs with no database transaction open.
"""

import hashlib
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime

from injector import inject
from langchain_core.embeddings import Embeddings
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from config import Settings
from internal.core.file_extractor import FileExtractError, extract_text
from internal.core.retrieval.keyword_index import KeywordIndex
from internal.core.text_processing import cleaning, splitter
from internal.core.text_processing.keywords import extract_keywords
from internal.core.text_processing.tokens import count_tokens
from internal.extension.database import utcnow
from internal.extension.kv_store import KeyValueStore
from internal.extension.storage import ObjectNotFoundError, ObjectStorage, StorageError
from internal.extension.vector_store.base import VectorRecord, VectorStore
from internal.model import Document, Segment, UploadFile
from internal.schema.document import DocumentStatus
from internal.schema.segment import SegmentStatus

from .app_config_service import AppConfigService
from .base_service import BaseService

logger = logging.getLogger(__name__)

# Longest a single locked write step may hold a document's lock (seconds).
LOCK_TIMEOUT = 120
# A build claims its document for this long, so a duplicate delivery of the task does not run twice.
BUILD_CLAIM_TTL = 3600

GENERIC_BUILD_ERROR = "文档处理失败，请稍后重试"


def document_lock(document_id: uuid.UUID) -> str:
    """The lock every writer of a document's segments, vectors and terms takes."""
    return f"document:{document_id}"


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
    app_config_service: AppConfigService

    # --- building -----------------------------------------------------------------------------

    def build_documents(self, document_ids: Sequence[uuid.UUID]) -> None:
        """Build each document in turn; one document's failure is recorded on it and does not stop the rest."""
        for document_id in document_ids:
            self.build_document(document_id)

    def build_document(self, document_id: uuid.UUID) -> None:
        claim = f"document-build:{document_id}"
        if self.kv_store.incr(claim, BUILD_CLAIM_TTL) != 1:
            logger.warning("Document %s is already being built; skipping the duplicate", document_id)
            return
        try:
            self._build(document_id)
        except DocumentGone:
            logger.info("Document %s was deleted while being built", document_id)
            self._discard_index(document_id)
        except DocumentBuildError as exc:
            self._record_failure(document_id, str(exc))
        except Exception:
            self.db.session.rollback()
            if self.db.session.get(Document, document_id) is None:
                # A write lost the race with the document's deletion (a foreign key, say).
                self._discard_index(document_id)
            else:
                logger.exception("Building document %s failed", document_id)
                self._record_failure(document_id, GENERIC_BUILD_ERROR)
        finally:
            self.db.session.close()
            self.kv_store.delete(claim)

    def _build(self, document_id: uuid.UUID) -> None:
        document = self.db.session.get(Document, document_id)
        if document is None or document.status == DocumentStatus.COMPLETED:
            return  # deleted before it started, or a retry of a build that already finished
        account_id, dataset_id, upload_file_id, rule = (
            document.account_id,
            document.dataset_id,
            document.upload_file_id,
            document.rule,
        )

        # A retried build starts from a clean slate, so it never duplicates segments or vectors.
        retried = document.status != DocumentStatus.WAITING or document.processing_started_at is not None
        with self._locked_alive(document_id):
            if retried:
                self._delete_index_rows(document_id)
                self.vector_store.delete_document(document_id)
            self._update_document(
                document_id,
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
        pending = self._create_segments(document_id, account_id, dataset_id, chunks)
        self._index_segments(document_id, dataset_id, pending)
        self._complete(document_id, [segment.id for segment in pending])

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
        self, document_id: uuid.UUID, account_id: uuid.UUID, dataset_id: uuid.UUID, chunks: list[str]
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
        with self._locked_alive(document_id):
            self.db.session.execute(insert(Segment), rows)
            self._update_document(document_id, status=DocumentStatus.INDEXING, splitting_completed_at=now)
            self.db.session.commit()
        return [_PendingSegment(row["id"], row["content"]) for row in rows]

    def _index_segments(self, document_id: uuid.UUID, dataset_id: uuid.UUID, pending: list[_PendingSegment]) -> None:
        # One step per embedding batch: one model call, then one commit (and one progress update),
        # small enough that writing a step overlaps embedding the next even for short documents.
        size = self.settings.embeddings.embedding_batch_size
        batches = [pending[start : start + size] for start in range(0, len(pending), size)]
        with closing(_embedded_ahead(self.embeddings, batches)) as embedded:
            for batch, vectors in embedded:
                self._write_batch(document_id, dataset_id, batch, vectors)

    def _write_batch(
        self, document_id: uuid.UUID, dataset_id: uuid.UUID, batch: list[_PendingSegment], vectors: list[list[float]]
    ) -> None:
        """One step of progress: a batch's vectors, keywords, terms and status, in one commit."""
        keywords = [extract_keywords(segment.content) for segment in batch]
        now = utcnow()
        with self._locked_alive(document_id):
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

    def _complete(self, document_id: uuid.UUID, segment_ids: list[uuid.UUID]) -> None:
        """The document goes live: its vectors are switched on with it (every new segment is enabled)."""
        with self._locked_alive(document_id):
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
        """Status `error` with the message, and none of the document's segments, terms or vectors left."""
        self.db.session.rollback()
        try:
            with self.kv_store.lock(document_lock(document_id), timeout=LOCK_TIMEOUT):
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
                self.vector_store.delete_document(document_id)
                self.db.session.commit()
        except DocumentGone:
            self.db.session.rollback()
            self._discard_index(document_id)
        except Exception:
            self.db.session.rollback()
            logger.exception("Recording the failure of document %s failed", document_id)

    # --- removal ------------------------------------------------------------------------------

    def delete_document_index(self, document_id: uuid.UUID) -> None:
        """What remains of a deleted document: its vectors, plus any rows a racing writer left."""
        self._discard_index(document_id)

    def delete_dataset_index(self, dataset_id: uuid.UUID, document_ids: Sequence[uuid.UUID]) -> None:
        """What remains of a deleted dataset once its rows are gone: vectors, stray rows, app bindings."""
        for document_id in document_ids:
            # A barrier: a build step of the document in flight finishes first, and every later
            # step finds the document gone and removes what it wrote itself.
            with self.kv_store.lock(document_lock(document_id), timeout=LOCK_TIMEOUT):
                pass
        with self.db.auto_commit():
            self.keyword_index.remove_dataset(dataset_id)
            self.db.session.execute(delete(Segment).where(Segment.dataset_id == dataset_id))
        self.vector_store.delete_dataset(dataset_id)
        self._unbind_from_apps(dataset_id)

    def _unbind_from_apps(self, dataset_id: uuid.UUID) -> None:
        """Apps can no longer reference a deleted dataset, in their draft or published config."""
        self.app_config_service.unbind_dataset(dataset_id)

    def _discard_index(self, document_id: uuid.UUID) -> None:
        with self.kv_store.lock(document_lock(document_id), timeout=LOCK_TIMEOUT):
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
    def _locked_alive(self, document_id: uuid.UUID) -> Iterator[None]:
        """The document's lock, held while the block writes; the block only runs if the document
        still exists, and everything it wrote is rolled back if it fails."""
        with self.kv_store.lock(document_lock(document_id), timeout=LOCK_TIMEOUT):
            try:
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
