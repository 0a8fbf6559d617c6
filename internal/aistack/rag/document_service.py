"""RAG documents: files ingested through the platform's knowledge-base pipeline into the account's
RAG knowledge base (created on first use), with a title, category and tags kept beside them; their
status and counts as the document's build reports them; listing and deletion."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from injector import inject
from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError

from config import Settings
from internal.aistack.gateway.listing import ListSpec, paginate
from internal.aistack.gateway.envelope import Pagination
from internal.exception import NotFoundException
from internal.model import Dataset, Document, DocumentStatus
from internal.schema.document import CreateDocumentsReq, ProcessType
from internal.service.base_service import BaseService
from internal.service.dataset_service import default_description
from internal.service.document_service import DocumentService
from internal.service.upload_file_service import UploadFileService

from .models import RagDocument, RagKnowledgeBase
from .schemas import IngestMetadata, RagStatus

DOCUMENT_NOT_FOUND = "该文档不存在"
# Names tried when the configured one is taken by a knowledge base the account made itself.
NAME_ATTEMPTS = 20

# The platform's build stages, as RAG callers see them; the same mapping in SQL for filters.
RAG_STATUS = {
    DocumentStatus.COMPLETED.value: RagStatus.COMPLETED,
    DocumentStatus.ERROR.value: RagStatus.FAILED,
}
RAG_STATUS_COLUMN = case(
    (Document.status == DocumentStatus.COMPLETED.value, RagStatus.COMPLETED.value),
    (Document.status == DocumentStatus.ERROR.value, RagStatus.FAILED.value),
    else_=RagStatus.PROCESSING.value,
)

DOCUMENT_LIST = ListSpec(
    name="RagDocument",
    sort={"created_at": RagDocument.created_at, "title": RagDocument.title},
    default_sort="created_at",
    filters={"category": (RagDocument.category, str), "status": (RAG_STATUS_COLUMN, RagStatus)},
    date_column=RagDocument.created_at,
)


@dataclass(frozen=True)
class IncomingFile:
    """A file of an ingest request; `field` names it in errors (file, files[2])."""

    field: str
    filename: str | None
    data: bytes


@dataclass(frozen=True)
class RagDocumentView:
    """A RAG document with its platform document and counts (0 until it is completed)."""

    rag: RagDocument
    document: Document
    chunks_created: int
    vectors_generated: int

    @property
    def status(self) -> RagStatus:
        return RAG_STATUS.get(self.document.status, RagStatus.PROCESSING)


@inject
@dataclass
class RagDocumentService(BaseService):
    settings: Settings
    document_service: DocumentService
    upload_file_service: UploadFileService

    def ingest(
        self, account_id: uuid.UUID, files: Sequence[IncomingFile], metadata: IngestMetadata, icon: str
    ) -> list[RagDocumentView]:
        """Every file is checked before any is stored; then all are recorded as one batch of the
        account's RAG knowledge base, each with its metadata in the same transaction, and built
        in the background. `metadata.title` names a single file's document; in a batch each
        document is titled by its file name."""
        names = [self.upload_file_service.check_document(f.filename, f.data, f.field)[0] for f in files]
        dataset_id = self.knowledge_base(account_id, icon)
        uploads = [self.upload_file_service.upload_document(account_id, f.filename, f.data) for f in files]
        titles = [metadata.title if metadata.title and len(files) == 1 else name for name in names]

        def companions(documents: list[Document]) -> list[RagDocument]:
            return [
                RagDocument(
                    document_id=document.id,
                    account_id=account_id,
                    title=title[:255],
                    category=metadata.category,
                    tags=list(metadata.tags),
                )
                for document, title in zip(documents, titles, strict=True)
            ]

        req = CreateDocumentsReq(upload_file_ids=[upload.id for upload in uploads], process_type=ProcessType.AUTOMATIC)
        documents, _ = self.document_service.create(account_id, dataset_id, req, companions)
        return self._views([document.id for document in documents])

    def get(self, account_id: uuid.UUID, document_id: uuid.UUID) -> RagDocumentView:
        self.get_owned_document(account_id, document_id)
        return self._views([document_id])[0]

    def list_documents(self, account_id: uuid.UUID, query) -> tuple[list[RagDocumentView], Pagination]:
        stmt = (
            select(RagDocument)
            .join(Document, Document.id == RagDocument.document_id)
            .where(RagDocument.account_id == account_id)
        )
        rows, pagination = paginate(self.db.session, DOCUMENT_LIST.apply(stmt, query), query, tiebreak=RagDocument.document_id)
        return self._views([row.document_id for row in rows]), pagination

    def delete(self, account_id: uuid.UUID, document_id: uuid.UUID) -> None:
        """Through the platform's deletion: the document, its chunks and (cascading) its metadata."""
        rag = self.get_owned_document(account_id, document_id)
        document = self.db.session.get(Document, rag.document_id)
        self.document_service.delete(account_id, document.dataset_id, document.id)

    def get_owned_document(self, account_id: uuid.UUID, document_id: uuid.UUID) -> RagDocument:
        """A RAG document of the account; another account's is not found."""
        return self.get_owned(RagDocument, document_id, account_id, DOCUMENT_NOT_FOUND)

    def matching_document_ids(
        self,
        account_id: uuid.UUID,
        category: str | None = None,
        tags: Sequence[str] | None = None,
        document_ids: Sequence[uuid.UUID] | None = None,
    ) -> list[uuid.UUID]:
        """The account's RAG documents in the category, carrying any of the tags, among the ids."""
        stmt = select(RagDocument.document_id, RagDocument.tags).where(RagDocument.account_id == account_id)
        if category is not None:
            stmt = stmt.where(RagDocument.category == category)
        if document_ids is not None:
            stmt = stmt.where(RagDocument.document_id.in_(list(document_ids)))
        wanted = set(tags or ())
        # Tags are a JSON list; "any of" is checked here, the same way on every database.
        return [document_id for document_id, stored in self.db.session.execute(stmt) if not wanted or wanted & set(stored or ())]

    def knowledge_base(self, account_id: uuid.UUID, icon: str) -> uuid.UUID:
        """The id of the account's RAG knowledge base, created on first use. Two first ingests at
        once both try to create it; the binding's primary key lets one win and the other reads it."""
        binding = self.db.session.get(RagKnowledgeBase, account_id)
        if binding is not None:
            return binding.dataset_id
        name = self._free_name(account_id)
        dataset = Dataset(id=uuid.uuid4(), account_id=account_id, name=name, icon=icon, description=default_description(name))
        try:
            with self.db.auto_commit():
                self.db.session.add(dataset)
                self.db.session.flush()
                self.db.session.add(RagKnowledgeBase(account_id=account_id, dataset_id=dataset.id))
        except IntegrityError:
            binding = self.db.session.get(RagKnowledgeBase, account_id)
            if binding is None:
                raise
            return binding.dataset_id
        return dataset.id

    def _free_name(self, account_id: uuid.UUID) -> str:
        base = self.settings.aistack_rag.aistack_rag_dataset_name
        taken = set(self.db.session.scalars(select(Dataset.name).where(Dataset.account_id == account_id, Dataset.name.startswith(base))))
        for attempt in range(1, NAME_ATTEMPTS + 1):
            name = base if attempt == 1 else f"{base} {attempt}"
            if name not in taken:
                return name
        return f"{base} {uuid.uuid4().hex[:8]}"

    def _views(self, document_ids: list[uuid.UUID]) -> list[RagDocumentView]:
        """Views in the order of `document_ids`, read afresh (a worker may have moved them on)."""
        if not document_ids:
            return []
        rows = self.db.session.execute(
            select(RagDocument, Document)
            .join(Document, Document.id == RagDocument.document_id)
            .where(RagDocument.document_id.in_(document_ids))
            .execution_options(populate_existing=True)
        ).all()
        found = {rag.document_id: (rag, document) for rag, document in rows}
        counts = self.document_service.segment_counts(list(found))
        views = []
        for document_id in document_ids:
            if document_id not in found:
                raise NotFoundException(DOCUMENT_NOT_FOUND)
            rag, document = found[document_id]
            total, completed = counts.get(document_id, (0, 0))
            done = document.status == DocumentStatus.COMPLETED.value
            views.append(RagDocumentView(rag, document, total if done else 0, completed if done else 0))
        return views
