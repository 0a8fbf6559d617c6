"""Requests and responses of hit testing (4.6) and a dataset's recent queries (4.7)."""

import uuid
from typing import Annotated

from pydantic import AfterValidator, Field, StrictFloat

from internal.core.retrieval.entities import RetrievalStrategy

from .common import JsonInt, RequestModel, ResponseModel, Timestamp, text
from .segment import SegmentFields

MAX_HIT_QUERY_LENGTH = 200
MAX_HIT_K = 10


def _two_decimals(value: float) -> float:
    return round(value, 2)


class HitReq(RequestModel):
    query: text(MAX_HIT_QUERY_LENGTH)
    retrieval_strategy: RetrievalStrategy
    k: JsonInt = Field(ge=0, le=MAX_HIT_K)
    # The least similarity, 0-1, kept to two decimals.
    score: Annotated[StrictFloat, Field(ge=0, le=1), AfterValidator(_two_decimals)]


class HitDocumentResp(ResponseModel):
    id: uuid.UUID
    name: str
    extension: str
    mime_type: str


class HitSegmentResp(SegmentFields):
    """A segment found by a hit test: the segment with its document instead of `document_id`, and `score`."""

    document: HitDocumentResp
    score: float


class DatasetQueryResp(ResponseModel):
    id: uuid.UUID
    dataset_id: uuid.UUID
    query: str
    source: str
    created_at: Timestamp
