"""The three retrieval strategies, as rankings of segment ids; the service loads and counts them.

full_text ranks by BM25 over the keyword index; semantic by the similarity of the query's
vector in the vector store; hybrid rescales both sides' scores to 0-1 and adds them with equal
weights by default (on both benchmark sets this beat reciprocal rank fusion, other rescalings
and other weights once Chinese is also searched by character; see test/benchmark).
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from injector import inject

from internal.extension.vector_store import VectorHit, VectorStore

from .entities import RetrievalStrategy, ScoredSegment
from .fusion import min_max_fusion_scored
from .keyword_index import KeywordIndex

# Each side of a hybrid search offers this many candidates (at least k) to the fusion.
HYBRID_POOL = 20
# Fusion weights of the (full-text, semantic) rankings.
HYBRID_WEIGHTS = (0.5, 0.5)
# How each side's scores are made comparable before the weighted sum (fusion.min_max_fusion_scored).
HYBRID_NORMALISATION = "min-max"
# Vector hits the database may still drop (a switch flipped since the vector was written) are
# made up for by asking for a few more than k.
SEMANTIC_SPARE = 5


@inject
@dataclass
class SegmentRanker:
    keyword_index: KeywordIndex
    vector_store: VectorStore

    def rank(
        self,
        strategy: RetrievalStrategy,
        dataset_ids: Sequence[uuid.UUID],
        query: str,
        query_vector: Sequence[float] | None,
        k: int,
        score_threshold: float,
        hybrid_weights: tuple[float, float] = HYBRID_WEIGHTS,
        document_ids: Sequence[uuid.UUID] | None = None,
    ) -> list[ScoredSegment]:
        """Candidates best first, possibly more than k: the caller drops what is no longer
        searchable and keeps the first k. Scores are the similarity for semantic, the fused
        score (0-1, four decimals) for hybrid, 0 for full-text. `hybrid_weights` are the
        (full-text, semantic) weights of the fusion, summing to 1; `document_ids` restricts the
        search to those documents of the datasets."""
        if k <= 0 or not dataset_ids:
            return []
        if strategy is RetrievalStrategy.FULL_TEXT:
            ranked = self.keyword_index.search(dataset_ids, query, k, document_ids)
            return [ScoredSegment(segment_id, 0.0) for segment_id, _ in ranked]
        if strategy is RetrievalStrategy.SEMANTIC:
            return self.semantic(dataset_ids, query_vector, k + SEMANTIC_SPARE, score_threshold, document_ids)
        pool = max(k, HYBRID_POOL)
        keyword = self.keyword_index.search(dataset_ids, query, pool, document_ids)
        hits = self._similar(dataset_ids, query_vector, pool, score_threshold, document_ids)
        similar = [(hit.segment_id, hit.score) for hit in hits]
        fused = min_max_fusion_scored([keyword, similar], hybrid_weights)
        return [ScoredSegment(segment_id, round(score, 4)) for segment_id, score in fused]

    def semantic(
        self,
        dataset_ids: Sequence[uuid.UUID],
        query_vector: Sequence[float] | None,
        k: int,
        score_threshold: float,
        document_ids: Sequence[uuid.UUID] | None = None,
    ) -> list[ScoredSegment]:
        """Similarities rounded to two decimals, as shown."""
        hits = self._similar(dataset_ids, query_vector, k, score_threshold, document_ids)
        return [ScoredSegment(hit.segment_id, round(hit.score, 2)) for hit in hits]

    def _similar(
        self,
        dataset_ids: Sequence[uuid.UUID],
        query_vector: Sequence[float] | None,
        k: int,
        score_threshold: float,
        document_ids: Sequence[uuid.UUID] | None = None,
    ) -> list[VectorHit]:
        """The vector store's hits whose similarity, rounded as shown, reaches the threshold."""
        if query_vector is None:
            raise ValueError("semantic retrieval needs the query's vector")
        # The store compares unrounded values; anything that rounds up to the threshold passes too.
        hits = self.vector_store.search(dataset_ids, query_vector, k, max(score_threshold - 0.005, 0.0), document_ids)
        return [hit for hit in hits if round(hit.score, 2) >= score_threshold]
