"""Documents of a knowledge base (llmops-api.md §4.8-4.14): adding files in batches, progress, names, switches, removal."""

import logging
import random
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from injector import inject
from sqlalchemy import delete, func, select, update

from internal.core.file_extractor import SUPPORTED_EXTENSIONS
from internal.core.text_processing import splitter
from internal.exception import FailException, NotFoundException, ValidateErrorException
from internal.extension.database import utcnow
from internal.extension.task_queue import TaskQueue
from internal.extension.vector_store.base import VectorStore
from internal.model import Dataset, Document, DocumentStatus, IndexCleanup, Segment, SegmentStatus, UploadFile
from internal.schema.document import CreateDocumentsReq, GetDocumentsWithPageReq, ProcessType
from pkg.paginator import Paginator, paginate
from pkg.sql_like import contains_pattern

from .base_service import BaseService
from .dataset_service import DatasetService
from .document_lock import DocumentLocks
from .task_names import BUILD_DOCUMENTS, DELETE_DOCUMENT

logger = logging.getLogger(__name__)

DOCUMENT_NOT_FOUND = "该文档不存在"
_batch_random = random.SystemRandom()


def new_batch_id() -> str:
    """`%Y%m%d%H%M%S` followed by a random number from 100000 to 999999 (20 digits)."""
    return datetime.now().strftime("%Y%m%d%H%M%S") + str(_batch_random.randint(100000, 999999))


@dataclass(frozen=True)
class DocumentProgress:
    document: Document
    upload: UploadFile | None
    segment_count: int
    completed_segment_count: int


@inject
@dataclass
class DocumentService(BaseService):
    dataset_service: DatasetService
    task_queue: TaskQueue
    vector_store: VectorStore
    document_locks: DocumentLocks

    def create(
        self,
        account_id: uuid.UUID,
        dataset_id: uuid.UUID,
        req: CreateDocumentsReq,
        companions: Callable[[list[Document]], Iterable[object]] | None = None,
    ) -> tuple[list[Document], str]:
        """Records one `waiting` document per file and queues a `build_documents` task for each.
        `companions` gives rows saved in the same transaction as the documents (what another
        door keeps about them), so neither exists without the other."""
        dataset = self.dataset_service.get_dataset(account_id, dataset_id)
        uploads = self._uploads(account_id, req.upload_file_ids)
        if req.process_type is ProcessType.CUSTOM:
            rule = req.rule.stored()
        else:
            rule = splitter.AUTOMATIC_RULE

        batch = new_batch_id()
        with self.db.auto_commit():
            # Locking the dataset row gives concurrent batches distinct, increasing positions.
            self.db.session.execute(select(Dataset.id).where(Dataset.id == dataset.id).with_for_update())
            last = self.db.session.scalar(select(func.max(Document.position)).where(Document.dataset_id == dataset.id))
            documents = [
                Document(
                    id=uuid.uuid4(),
                    account_id=account_id,
                    dataset_id=dataset.id,
                    upload_file_id=upload.id,
                    batch=batch,
                    name=upload.name[:255],
                    position=(last or 0) + offset,
                    process_type=req.process_type.value,
                    rule=rule,
                    status=DocumentStatus.WAITING.value,
                    enabled=False,
                )
                for offset, upload in enumerate(uploads, start=1)
            ]
            self.db.session.add_all(documents)
            if companions is not None:
                self.db.session.flush()  # the documents first: companions refer to them
                self.db.session.add_all(list(companions(documents)))
            document_ids = [document.id for document in documents]
        # The commit expired these objects; load them back while they are still `waiting`, so
        # the answer cannot show a state a worker reached after the tasks below were queued.
        self.db.session.scalars(select(Document).where(Document.id.in_(document_ids))).all()
        # One task per document: the workers build several at once, so one document's writes
        # overlap another's embeddings and a slow file does not hold up the rest of its batch.
        for queued, document_id in enumerate(document_ids):
            try:
                self.task_queue.enqueue(BUILD_DOCUMENTS, [str(document_id)])
            except Exception:
                logger.exception("Queueing the build of batch %s failed", batch)
                self._abandon(document_ids[queued:], "文档处理任务提交失败，请重新上传")
                raise FailException("文档处理任务提交失败，请稍后重试") from None
        return documents, batch

    def get_batch(self, account_id: uuid.UUID, dataset_id: uuid.UUID, batch: str) -> list[DocumentProgress]:
        dataset = self.dataset_service.get_dataset(account_id, dataset_id)
        rows = self.db.session.execute(
            select(Document, UploadFile)
            .outerjoin(UploadFile, UploadFile.id == Document.upload_file_id)
            .where(Document.dataset_id == dataset.id, Document.batch == batch)
            .order_by(Document.position)
        ).all()
        if not rows:
            raise NotFoundException("该批次的文档不存在")
        counts = self.segment_counts([document.id for document, _ in rows])
        return [
            DocumentProgress(document, upload, *counts.get(document.id, (0, 0)))
            for document, upload in rows
        ]

    def get(self, account_id: uuid.UUID, dataset_id: uuid.UUID, document_id: uuid.UUID) -> tuple[Document, int]:
        """The document and its segment count."""
        document = self.get_document(account_id, dataset_id, document_id)
        segment_count, _ = self.segment_counts([document.id]).get(document.id, (0, 0))
        return document, segment_count

    def rename(self, account_id: uuid.UUID, dataset_id: uuid.UUID, document_id: uuid.UUID, name: str) -> Document:
        document = self.get_document(account_id, dataset_id, document_id)
        with self.db.auto_commit():
            document.name = name
        return document

    def set_enabled(self, account_id: uuid.UUID, dataset_id: uuid.UUID, document_id: uuid.UUID, enabled: bool) -> None:
        """Switch a completed document; its vectors follow at once (segment switch AND document switch)."""
        self._check_completed(self.get_document(account_id, dataset_id, document_id))
        self.db.session.close()  # nothing held open while waiting for the document's lock
        with self.document_locks.hold(document_id):
            with self.db.auto_commit():
                document = self.db.session.get(Document, document_id)
                if document is None:
                    raise NotFoundException(DOCUMENT_NOT_FOUND)
                self._check_completed(document)
                document.enabled = enabled
                document.disabled_at = None if enabled else utcnow()
                segment_ids = self.db.session.scalars(
                    select(Segment.id).where(Segment.document_id == document.id, Segment.enabled.is_(True))
                ).all()
                self.vector_store.set_enabled(segment_ids, enabled)

    def delete(self, account_id: uuid.UUID, dataset_id: uuid.UUID, document_id: uuid.UUID) -> None:
        """The document is gone for the caller when this returns; its vectors go in the background.

        The database cascades the row's deletion to its segments and keyword terms in the same
        statement; a build still running notices at its next write step and stops.
        """
        document = self.get_document(account_id, dataset_id, document_id)
        cleanup = IndexCleanup(id=uuid.uuid4(), dataset_id=document.dataset_id, document_ids=[str(document.id)])
        with self.db.auto_commit():
            self.db.session.execute(delete(Document).where(Document.id == document.id))
            self.db.session.add(cleanup)
        try:
            self.task_queue.enqueue(DELETE_DOCUMENT, str(document_id), str(cleanup.id))
        except Exception:
            # The deletion stands (retrieval ignores vectors whose segment is gone); the sweep
            # queues the cleanup again later.
            logger.exception("Queueing the index removal of deleted document %s failed", document_id)

    def get_document(self, account_id: uuid.UUID, dataset_id: uuid.UUID, document_id: uuid.UUID) -> Document:
        """A document of the caller's dataset; a foreign or mismatched pair is not found."""
        dataset = self.dataset_service.get_dataset(account_id, dataset_id)
        document = self.get_owned(Document, document_id, account_id, DOCUMENT_NOT_FOUND)
        if document.dataset_id != dataset.id:
            raise NotFoundException(DOCUMENT_NOT_FOUND)
        return document

    @staticmethod
    def _check_completed(document: Document) -> None:
        if document.status != DocumentStatus.COMPLETED.value:
            raise FailException("文档尚未处理完成，无法修改启用状态")

    def _abandon(self, document_ids: list[uuid.UUID], message: str) -> None:
        """Documents whose build never started: failed, with the reason, rather than waiting forever."""
        with self.db.auto_commit():
            self.db.session.execute(
                update(Document)
                .where(Document.id.in_(document_ids))
                .values(status=DocumentStatus.ERROR.value, error=message, stopped_at=utcnow())
            )

    def _uploads(self, account_id: uuid.UUID, upload_file_ids: list[uuid.UUID]) -> list[UploadFile]:
        found = {
            upload.id: upload
            for upload in self.db.session.scalars(
                select(UploadFile).where(UploadFile.id.in_(upload_file_ids), UploadFile.account_id == account_id)
            )
        }
        uploads = []
        for upload_file_id in upload_file_ids:
            upload = found.get(upload_file_id)
            if upload is None:
                raise NotFoundException(f"上传文件不存在：{upload_file_id}")
            if upload.extension not in SUPPORTED_EXTENSIONS:
                raise ValidateErrorException(f"upload_file_ids: 知识库不支持{upload.extension or '该类型'}文件：{upload.name}")
            uploads.append(upload)
        return uploads

    def segment_counts(self, document_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
        """Per document: all segments and the completed ones."""
        rows = self.db.session.execute(
            select(
                Segment.document_id,
                func.count(Segment.id),
                func.count(Segment.id).filter(Segment.status == SegmentStatus.COMPLETED.value),
            )
            .where(Segment.document_id.in_(document_ids))
            .group_by(Segment.document_id)
        )
        return {document_id: (total, completed) for document_id, total, completed in rows}

    def list_documents(
        self, account_id: uuid.UUID, dataset_id: uuid.UUID, req: GetDocumentsWithPageReq
    ) -> tuple[list[Document], Paginator]:
        """A page of the dataset's documents, newest first; `search_word` matches names."""
        dataset = self.dataset_service.get_dataset(account_id, dataset_id)
        stmt = select(Document).where(Document.dataset_id == dataset.id)
        if req.search_word:
            stmt = stmt.where(Document.name.ilike(contains_pattern(req.search_word), escape="\\"))
        stmt = stmt.order_by(Document.created_at.desc(), Document.position.desc())
        return paginate(self.db.session, stmt, req)
