"""The vector-store port: segment embeddings written, switched and deleted per document or
dataset and searched per dataset, with the same behaviour in every backend."""

import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class VectorRecord:
    """A segment's embedding and what retrieval filters on."""

    segment_id: uuid.UUID
    document_id: uuid.UUID
    dataset_id: uuid.UUID
    vector: Sequence[float]
    enabled: bool = True  # the segment's and its document's switches combined


@dataclass(frozen=True)
class VectorHit:
    segment_id: uuid.UUID
    score: float  # cosine similarity clipped to 0-1


class VectorStore(ABC):
    """Segment embeddings, searchable per dataset; only enabled records are ever returned.

    Writes are idempotent (upserting a segment again replaces it), so a retried indexing job
    never duplicates vectors.
    """

    @abstractmethod
    def upsert(self, records: Iterable[VectorRecord]) -> None: ...

    @abstractmethod
    def set_enabled(self, segment_ids: Iterable[uuid.UUID], enabled: bool) -> None: ...

    @abstractmethod
    def delete_segments(self, segment_ids: Iterable[uuid.UUID]) -> None: ...

    @abstractmethod
    def delete_document(self, document_id: uuid.UUID) -> None: ...

    @abstractmethod
    def delete_dataset(self, dataset_id: uuid.UUID) -> None: ...

    @abstractmethod
    def search(
        self,
        dataset_ids: Sequence[uuid.UUID],
        vector: Sequence[float],
        k: int,
        score_threshold: float = 0.0,
        document_ids: Sequence[uuid.UUID] | None = None,
    ) -> list[VectorHit]:
        """The `k` most similar enabled segments of the datasets, best first, at or above the
        threshold; with `document_ids`, only segments of those documents."""
