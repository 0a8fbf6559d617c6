"""Requests and answers of the RAG system ("RAG知识检索系统"): ingestion, documents, search and
verification."""

import uuid
from enum import Enum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, ValidationInfo, field_validator

from spectree.model_adapter.pydantic_adapter import BaseFile

from internal.schema.common import RequestModel

MAX_TAGS = 20
MAX_FILTER_DOCUMENTS = 100
MAX_QUERY_LENGTH = 2000

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


def _distinct(values: list[str] | None) -> list[str] | None:
    return None if values is None else list(dict.fromkeys(values))


class RagStatus(str, Enum):
    """A document's indexing status as RAG callers see it."""

    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class IngestMetadata(RequestModel):
    """The `metadata` form field (a JSON object); every key optional."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)] | None = None
    category: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    tags: Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(_distinct)] = Field(default_factory=list)


METADATA_DESCRIPTION = 'A JSON object, e.g. {"title": "文档标题", "category": "技术文档", "tags": ["AI"]}'


class IngestForm(BaseModel):
    """The multipart body of an ingest (documentation)."""

    file: BaseFile
    metadata: str | None = Field(None, description=METADATA_DESCRIPTION)


class BatchIngestForm(BaseModel):
    """The multipart body of a batch ingest (documentation); parts named `files[]` are taken too."""

    files: list[BaseFile]
    metadata: str | None = Field(None, description="Category and tags applied to every file; " + METADATA_DESCRIPTION)


class IngestResp(BaseModel):
    document_id: uuid.UUID
    status: RagStatus
    chunks_created: int = Field(description="Chunks (segments) of the document once processed; 0 while processing")
    vectors_generated: int = Field(description="Chunks embedded and indexed once processed; 0 while processing")


class BatchDocumentResp(IngestResp):
    file_name: str


class BatchIngestResp(BaseModel):
    documents: list[BatchDocumentResp]
    total: int


class DocumentResp(IngestResp):
    title: str
    category: str
    tags: list[str]
    file_name: str
    error: str = Field(description="Why processing failed; empty otherwise")
    created_at: str
    completed_at: str | None


class SearchFilters(RequestModel):
    category: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    tags: Annotated[list[Tag], Field(min_length=1, max_length=MAX_TAGS)] | None = Field(
        None, description="Documents carrying any of these tags"
    )
    document_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=MAX_FILTER_DOCUMENTS)] | None = None


Query = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUERY_LENGTH)]


class SemanticSearchReq(RequestModel):
    query: Query
    top_k: int = Field(5, ge=1, le=50)
    filters: SearchFilters = Field(default_factory=SearchFilters)


class HybridSearchReq(RequestModel):
    query: Query
    semantic_weight: float = Field(0.7, ge=0, le=1)
    keyword_weight: float = Field(0.3, ge=0, le=1)
    top_k: int = Field(10, ge=1, le=50)
    filters: SearchFilters = Field(default_factory=SearchFilters)

    @field_validator("keyword_weight")
    @classmethod
    def _some_weight(cls, value: float, info: ValidationInfo) -> float:
        if value == 0 and info.data.get("semantic_weight") == 0:
            raise ValueError("semantic_weight与keyword_weight不能同时为0")
        return value


class ResultMetadata(BaseModel):
    title: str
    category: str
    tags: list[str]
    document_name: str
    position: int


class SearchResult(BaseModel):
    document_id: uuid.UUID
    chunk_id: uuid.UUID
    content: str
    score: float
    metadata: ResultMetadata


class SearchResp(BaseModel):
    results: list[SearchResult]
    query_time_ms: int


Source = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class VerifyReq(RequestModel):
    content: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    sources: Annotated[list[Source], Field(min_length=1)] = Field(
        description="Each a text, an http(s) URL, or the id of one of your documents"
    )


class SourceSupport(BaseModel):
    source: str
    support_score: float


class ClaimCheck(BaseModel):
    claim: str
    supported: bool
    support_score: float
    best_source: str | None = Field(description="The source that supports the claim most; null when none does")


class VerifyResp(BaseModel):
    verified: bool
    confidence: float
    method: Literal["model", "similarity"]
    sources: list[SourceSupport]
    claims: list[ClaimCheck]
