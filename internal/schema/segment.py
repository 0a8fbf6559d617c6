"""Requests and responses of the segment endpoints (llmops-api.md §4.15-4.20)."""

import uuid
from typing import Annotated

from pydantic import Field, StringConstraints

from pkg.paginator import PageReq

from .common import RequestModel, ResponseModel, Timestamp, text, trimmed

# llmops-api.md §4.16/4.18: "in principle" at most 1000 tokens; the service counts them.
MAX_SEGMENT_TOKENS = 1000
# A cheap guard before counting tokens: no tokenizer turns more than this many characters into 1000 tokens.
MAX_SEGMENT_CHARACTERS = 20_000
MAX_KEYWORDS = 50


SegmentContent = text(MAX_SEGMENT_CHARACTERS)
Keyword = trimmed(64, min_length=1)


class CreateSegmentReq(RequestModel):
    content: SegmentContent
    # None or [] means "extract them from the content".
    keywords: list[Keyword] | None = Field(None, max_length=MAX_KEYWORDS)


class UpdateSegmentReq(CreateSegmentReq):
    pass


class GetSegmentsWithPageReq(PageReq):
    search_word: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""


class SegmentFields(ResponseModel):
    """What every rendering of a segment shows (llmops-api-index.md §1.9 Segment); variants add how
    they name the document."""

    id: uuid.UUID
    dataset_id: uuid.UUID
    position: int
    content: str
    keywords: list[str]
    character_count: int
    token_count: int
    hit_count: int
    enabled: bool
    disabled_at: Timestamp
    status: str
    error: str
    updated_at: Timestamp
    created_at: Timestamp


class SegmentResp(SegmentFields):
    document_id: uuid.UUID


class SegmentDetailResp(SegmentResp):
    """4.20: a list item plus the hash of its content."""

    hash: str
