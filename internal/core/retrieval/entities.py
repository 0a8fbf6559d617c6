"""What retrieval takes and gives: strategies, query sources and the segments it found."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class RetrievalStrategy(str, Enum):
    FULL_TEXT = "full_text"
    SEMANTIC = "semantic"
    HYBRID = "hybrid"


class QuerySource(str, Enum):
    """Where a recorded dataset query came from (4.7), exact strings."""

    HIT_TESTING = "Hit Testing"
    APP = "App"
    AISTACK = "AI Stack"  # AI Stack RAG's search endpoints


@dataclass(frozen=True)
class ScoredSegment:
    """A segment id with the score of the strategy that found it."""

    segment_id: uuid.UUID
    score: float


@dataclass(frozen=True)
class RetrievedDocument:
    id: uuid.UUID
    name: str
    extension: str
    mime_type: str


@dataclass(frozen=True)
class RetrievedSegment:
    """A hit with what callers show or hand to a model; plain data, usable after the session closes.

    `score` is the similarity (0-1, two decimals) for semantic retrieval and 0 otherwise (4.6).
    """

    id: uuid.UUID
    dataset_id: uuid.UUID
    document: RetrievedDocument
    score: float
    position: int
    content: str
    keywords: list[str]
    character_count: int
    token_count: int
    hit_count: int
    enabled: bool
    disabled_at: datetime | None
    status: str
    error: str
    updated_at: datetime
    created_at: datetime
