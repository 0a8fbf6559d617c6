"""The RAG system's endpoints: documents (ingest, batch ingest, status, list, delete), semantic
and hybrid search, and verification."""

import uuid
from dataclasses import dataclass

from flask import request, url_for
from injector import inject
from pydantic import BaseModel, ValidationError
from werkzeug.datastructures import FileStorage

from config import Settings
from internal.aistack.gateway.auth import current_account_id
from internal.aistack.gateway.endpoint import aistack_endpoint
from internal.aistack.gateway.envelope import ErrorCode, created, iso, success
from internal.aistack.gateway.errors import AIStackException, invalid_input
from internal.exception import ValidateErrorException
from internal.handler.endpoint import MULTIPART_FRAMING, FilePart, refuse_nul
from internal.schema.upload_file import MAX_UPLOAD_SIZE
from pkg.untrusted_json import NUL, TooDeep, loads_bounded
from pkg.validation_message import describe_fields, describe_validation_error

from .document_service import DOCUMENT_LIST, IncomingFile, RagDocumentService, RagDocumentView
from .schemas import (
    BatchDocumentResp,
    BatchIngestForm,
    BatchIngestResp,
    DocumentResp,
    HybridSearchReq,
    IngestForm,
    IngestMetadata,
    IngestResp,
    SearchResp,
    SemanticSearchReq,
    VerifyReq,
    VerifyResp,
)
from .search_service import RagSearchService
from .verification_service import VerificationService

SYSTEM = "rag"
INGEST_FILE = FilePart("file", max_size=MAX_UPLOAD_SIZE)
BATCH_FIELDS = ("files", "files[]")
METADATA_MAX_DEPTH = 4


class DeletedResp(BaseModel):
    document_id: uuid.UUID
    deleted: bool = True


@inject
@dataclass
class RagHandler:
    settings: Settings
    rag_document_service: RagDocumentService
    rag_search_service: RagSearchService
    verification_service: VerificationService

    @aistack_endpoint(SYSTEM, file=INGEST_FILE, form=IngestForm, resp=IngestResp, status=201, tags=("documents",))
    def ingest(self, file: FileStorage):
        """Upload one document (txt, md, pdf, docx, html, csv, xlsx, json; at most 15 MB) with an
        optional `metadata` form field, a JSON object {title, category, tags}. It is parsed, split
        and indexed in the background: poll GET /api/documents/{document_id} until `completed`."""
        metadata = _metadata()
        incoming = IncomingFile("file", file.filename, file.read())
        view = self.rag_document_service.ingest(current_account_id(), [incoming], metadata, _icon())[0]
        return created(_ingest_resp(view))

    @aistack_endpoint(SYSTEM, form=BatchIngestForm, resp=BatchIngestResp, status=201, tags=("documents",))
    def batch_ingest(self):
        """Upload several documents as parts named `files` (or `files[]`), with an optional
        `metadata` (category and tags) applied to each; each is titled by its file name. Every
        file is checked first: one refused file refuses the batch and nothing is stored."""
        files = _batch_files(self.settings.aistack_rag.aistack_rag_batch_max_files)
        metadata = _metadata()
        views = self.rag_document_service.ingest(current_account_id(), files, metadata, _icon())
        documents = [BatchDocumentResp(**_ingest_resp(view).model_dump(), file_name=view.document.name) for view in views]
        return created(BatchIngestResp(documents=documents, total=len(documents)))

    @aistack_endpoint(SYSTEM, resp=DocumentResp, tags=("documents",))
    def get_document(self, document_id: uuid.UUID):
        """A document's processing status, final counts once completed, metadata and error."""
        return success(_document_resp(self.rag_document_service.get(current_account_id(), document_id)))

    @aistack_endpoint(SYSTEM, listing=DOCUMENT_LIST, resp=DocumentResp, tags=("documents",))
    def list_documents(self, query):
        """Your RAG documents; `filter[status]` is processing, completed or failed."""
        views, pagination = self.rag_document_service.list_documents(current_account_id(), query)
        return success([_document_resp(view) for view in views], pagination=pagination)

    @aistack_endpoint(SYSTEM, resp=DeletedResp, tags=("documents",))
    def delete_document(self, document_id: uuid.UUID):
        """Delete a document with its chunks and vectors (from the knowledge base too)."""
        self.rag_document_service.delete(current_account_id(), document_id)
        return success(DeletedResp(document_id=document_id))

    @aistack_endpoint(SYSTEM, body=SemanticSearchReq, resp=SearchResp, tags=("search",))
    def semantic_search(self, body: SemanticSearchReq):
        """The `top_k` chunks of your documents most similar in meaning to the query, among the
        documents the filters allow (category, any of the tags, document ids)."""
        return success(self.rag_search_service.semantic(current_account_id(), body))

    @aistack_endpoint(SYSTEM, body=HybridSearchReq, resp=SearchResp, tags=("search",))
    def hybrid_search(self, body: HybridSearchReq):
        """Semantic and keyword (BM25) rankings fused with the given weights (normalised to sum
        to 1); `score` is the fused score, 0-1."""
        return success(self.rag_search_service.hybrid(current_account_id(), body))

    @aistack_endpoint(SYSTEM, body=VerifyReq, resp=VerifyResp, tags=("verification",))
    def verify(self, body: VerifyReq):
        """Check each claim (sentence) of `content` against the sources: texts, http(s) URLs, or
        ids of your documents. `method` says whether the model or embedding similarity judged."""
        return success(self.verification_service.verify(current_account_id(), body))


def _icon() -> str:
    """The console shows RAG's knowledge base with the platform's built-in icon."""
    return url_for("llmops.get_assistant_agent_app_icon")


def _metadata() -> IngestMetadata:
    """The `metadata` form field: absent or blank, none; otherwise a JSON object."""
    raw = request.form.get("metadata", "")
    if not raw.strip():
        return IngestMetadata()
    try:
        data = loads_bounded(raw, METADATA_MAX_DEPTH)
    except (TooDeep, ValueError):
        raise invalid_input("metadata", "必须是合法的JSON对象") from None
    if not isinstance(data, dict):
        raise invalid_input("metadata", "必须是JSON对象")
    try:
        metadata = IngestMetadata.model_validate(data)
    except ValidationError as exc:
        details = {f"metadata.{field}": problem for field, problem in describe_fields(exc).items()}
        raise AIStackException(ErrorCode.INVALID_INPUT, f"metadata.{describe_validation_error(exc)}", 400, details) from None
    refuse_nul({"metadata": metadata.model_dump()})
    return metadata


def _batch_files(max_files: int) -> list[IncomingFile]:
    """The non-empty files of the batch, each within the upload size."""
    if request.mimetype != "multipart/form-data":
        raise ValidateErrorException("files: 请使用multipart/form-data格式上传文件", status=415)
    request.max_content_length = max_files * MAX_UPLOAD_SIZE + MULTIPART_FRAMING
    parts = [part for name in BATCH_FIELDS for part in request.files.getlist(name) if part.filename]
    if not parts:
        raise invalid_input("files", "请选择要上传的文件")
    if len(parts) > max_files:
        raise invalid_input("files", f"每次最多上传{max_files}个文件")
    files = []
    for index, part in enumerate(parts):
        field = f"files[{index}]"
        if NUL in part.filename:
            raise invalid_input(field, "文件名不能包含空字符")
        data = part.read(MAX_UPLOAD_SIZE + 1)
        if not data:
            raise invalid_input(field, "文件内容不能为空")
        if len(data) > MAX_UPLOAD_SIZE:
            raise AIStackException(ErrorCode.INVALID_INPUT, f"{field}: 文件大小不能超过15MB", 413, {field: "文件大小不能超过15MB"})
        files.append(IncomingFile(field, part.filename, data))
    return files


def _ingest_resp(view: RagDocumentView) -> IngestResp:
    return IngestResp(
        document_id=view.rag.document_id,
        status=view.status,
        chunks_created=view.chunks_created,
        vectors_generated=view.vectors_generated,
    )


def _document_resp(view: RagDocumentView) -> DocumentResp:
    return DocumentResp(
        **_ingest_resp(view).model_dump(),
        title=view.rag.title,
        category=view.rag.category,
        tags=list(view.rag.tags or []),
        file_name=view.document.name,
        error=view.document.error or "",
        created_at=iso(view.rag.created_at),
        completed_at=iso(view.document.completed_at),
    )
