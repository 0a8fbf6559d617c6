"""Segments of a document (llmops-api.md §4.15-4.20): edited one at a time, synchronously, in the database,
the vector store and the keyword index together."""

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from injector import inject
from langchain_core.embeddings import Embeddings
from sqlalchemy import delete, func, select, update

from internal.core.retrieval.keyword_index import KeywordIndex
from internal.core.text_processing.keywords import extract_keywords
from internal.core.text_processing.tokens import count_tokens
from internal.exception import FailException, NotFoundException, ValidateErrorException
from internal.extension.database import utcnow
from internal.extension.vector_store.base import VectorRecord, VectorStore
from internal.model import Document, DocumentStatus, Segment, SegmentStatus
from internal.schema.segment import MAX_SEGMENT_TOKENS, CreateSegmentReq, GetSegmentsWithPageReq, UpdateSegmentReq
from pkg.paginator import Paginator, paginate
from pkg.sql_like import contains_pattern

from .base_service import BaseService
from .document_service import DocumentService
from .document_lock import DocumentLocks
from .indexing_service import segment_hash, segment_totals

SEGMENT_NOT_FOUND = "该文档片段不存在"

# Embedding one text runs beside keyword extraction (4.16: "in parallel"); one shared pool is enough.
_embedding_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="llmops-segment-embed")


@dataclass(frozen=True)
class _IndexedContent:
    content: str
    keywords: list[str]
    token_count: int
    vector: list[float]


@inject
@dataclass
class SegmentService(BaseService):
    document_service: DocumentService
    embeddings: Embeddings
    vector_store: VectorStore
    keyword_index: KeywordIndex
    document_locks: DocumentLocks

    def get(
        self, account_id: uuid.UUID, dataset_id: uuid.UUID, document_id: uuid.UUID, segment_id: uuid.UUID
    ) -> Segment:
        """A segment of the caller's document of the caller's dataset; any mismatch is not found."""
        document = self.document_service.get_document(account_id, dataset_id, document_id)
        segment = self.get_owned(Segment, segment_id, account_id, SEGMENT_NOT_FOUND)
        if segment.document_id != document.id or segment.dataset_id != document.dataset_id:
            raise NotFoundException(SEGMENT_NOT_FOUND)
        return segment

    def create(
        self, account_id: uuid.UUID, dataset_id: uuid.UUID, document_id: uuid.UUID, req: CreateSegmentReq
    ) -> Segment:
        """Appends a segment to a completed document, embedded and keyword-indexed before returning."""
        document = self.document_service.get_document(account_id, dataset_id, document_id)
        self._check_completed(document)
        dataset_id = document.dataset_id
        self.db.session.close()  # no transaction open while the text is embedded

        indexed = self._index_content(req.content, req.keywords)
        now = utcnow()
        with self._writing(document_id) as document:
            last = self.db.session.scalar(select(func.max(Segment.position)).where(Segment.document_id == document_id))
            segment = Segment(
                id=uuid.uuid4(),
                account_id=account_id,
                dataset_id=dataset_id,
                document_id=document_id,
                position=(last or 0) + 1,
                content=indexed.content,
                character_count=len(indexed.content),
                token_count=indexed.token_count,
                keywords=indexed.keywords,
                hash=segment_hash(indexed.content),
                status=SegmentStatus.COMPLETED.value,
                enabled=True,
                processing_started_at=now,
                indexing_completed_at=now,
                completed_at=now,
            )
            self.db.session.add(segment)
            self.db.session.flush()
            self.keyword_index.add_segments([segment])
            self._recount(document)
            self.vector_store.upsert(
                [VectorRecord(segment.id, document_id, dataset_id, indexed.vector, enabled=document.enabled)]
            )
        return segment

    def update(
        self,
        account_id: uuid.UUID,
        dataset_id: uuid.UUID,
        document_id: uuid.UUID,
        segment_id: uuid.UUID,
        req: UpdateSegmentReq,
    ) -> Segment:
        """New content (and keywords): embedded again and re-indexed in both indexes before returning."""
        segment = self.get(account_id, dataset_id, document_id, segment_id)
        self._check_completed(segment)
        dataset_id = segment.dataset_id
        self.db.session.close()

        indexed = self._index_content(req.content, req.keywords)
        with self._writing(document_id) as document:
            segment = self.db.session.get(Segment, segment_id)
            if segment is None or segment.document_id != document_id:
                raise NotFoundException(SEGMENT_NOT_FOUND)
            segment.content = indexed.content
            segment.character_count = len(indexed.content)
            segment.token_count = indexed.token_count
            segment.keywords = indexed.keywords
            segment.hash = segment_hash(indexed.content)
            segment.indexing_completed_at = segment.completed_at = utcnow()
            self.db.session.flush()
            self.keyword_index.add_segments([segment])  # replaces the segment's terms
            self._recount(document)
            enabled = segment.enabled and document.enabled
            self.vector_store.upsert([VectorRecord(segment_id, document_id, dataset_id, indexed.vector, enabled)])
        return segment

    def delete(
        self, account_id: uuid.UUID, dataset_id: uuid.UUID, document_id: uuid.UUID, segment_id: uuid.UUID
    ) -> None:
        self._check_completed(self.get(account_id, dataset_id, document_id, segment_id))
        self.db.session.close()  # nothing held open while waiting for the document's lock
        with self._writing(document_id) as document:
            self.keyword_index.remove_segments([segment_id])
            self.db.session.execute(delete(Segment).where(Segment.id == segment_id, Segment.document_id == document_id))
            self._recount(document)
            self.vector_store.delete_segments([segment_id])

    def set_enabled(
        self,
        account_id: uuid.UUID,
        dataset_id: uuid.UUID,
        document_id: uuid.UUID,
        segment_id: uuid.UUID,
        enabled: bool,
    ) -> None:
        """Switch a completed segment; its vector follows at once (segment switch AND document switch)."""
        self._check_completed(self.get(account_id, dataset_id, document_id, segment_id))
        self.db.session.close()
        with self._writing(document_id) as document:
            self.db.session.execute(
                update(Segment)
                .where(Segment.id == segment_id)
                .values(enabled=enabled, disabled_at=None if enabled else utcnow(), updated_at=utcnow())
            )
            self.vector_store.set_enabled([segment_id], enabled and document.enabled)

    # --- helpers ------------------------------------------------------------------------------

    def _index_content(self, content: str, keywords: list[str] | None) -> _IndexedContent:
        token_count = count_tokens(content)
        if token_count > MAX_SEGMENT_TOKENS:
            raise ValidateErrorException(f"content: 片段内容不能超过{MAX_SEGMENT_TOKENS}个token")
        # Embedded like the build embeds segments, so edited and built segments compare alike.
        vector = _embedding_pool.submit(lambda: self.embeddings.embed_documents([content])[0])
        # Supplied keywords are kept as they are; without them the tokenizer picks them.
        chosen = list(dict.fromkeys(keywords)) if keywords else extract_keywords(content)
        try:
            return _IndexedContent(content, chosen, token_count, vector.result())
        except Exception:
            raise FailException("片段向量化失败，请稍后重试") from None

    @staticmethod
    def _check_completed(item: Document | Segment) -> None:
        if isinstance(item, Document) and item.status != DocumentStatus.COMPLETED.value:
            raise FailException("文档尚未处理完成，无法编辑片段")
        if isinstance(item, Segment) and item.status != SegmentStatus.COMPLETED.value:
            raise FailException("片段尚未处理完成，无法修改")

    def _recount(self, document: Document) -> None:
        document.character_count, document.token_count = segment_totals(self.db.session, document.id)

    @contextmanager
    def _writing(self, document_id: uuid.UUID) -> Iterator[Document]:
        """The document's lock and one transaction; the document must still exist and be complete."""
        with self.document_locks.hold(document_id):
            with self.db.auto_commit():
                document = self.db.session.get(Document, document_id, populate_existing=True)
                if document is None:
                    raise NotFoundException("该文档不存在")
                self._check_completed(document)
                yield document

    def list_segments(
        self, account_id: uuid.UUID, dataset_id: uuid.UUID, document_id: uuid.UUID, req: GetSegmentsWithPageReq
    ) -> tuple[list[Segment], Paginator]:
        """A page of the document's segments in document order; `search_word` matches content."""
        document = self.document_service.get_document(account_id, dataset_id, document_id)
        stmt = select(Segment).where(Segment.document_id == document.id)
        if req.search_word:
            stmt = stmt.where(Segment.content.ilike(contains_pattern(req.search_word), escape="\\"))
        stmt = stmt.order_by(Segment.position, Segment.created_at)
        return paginate(self.db.session, stmt, req)
