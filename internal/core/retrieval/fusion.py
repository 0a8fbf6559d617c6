"""Merging the rankings of full-text and semantic retrieval into one (hybrid retrieval)."""

import uuid
from collections.abc import Sequence

# Reciprocal rank fusion's damping constant: larger values flatten the difference between ranks.
RRF_CONSTANT = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[uuid.UUID]], weights: Sequence[float] | None = None, constant: int = RRF_CONSTANT
) -> list[uuid.UUID]:
    """Ids of all rankings, each once, ordered by sum(weight / (constant + rank)) over the rankings
    that hold it (ranks from 1). Ties keep the order of first appearance, best ranking first."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[uuid.UUID, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, segment_id in enumerate(ranking, start=1):
            fused[segment_id] = fused.get(segment_id, 0.0) + weight / (constant + rank)
    return sorted(fused, key=lambda segment_id: -fused[segment_id])


def min_max_fusion(
    rankings: Sequence[Sequence[tuple[uuid.UUID, float]]], weights: Sequence[float] | None = None
) -> list[uuid.UUID]:
    """Ids of all rankings, each once, ordered by the weighted sum of their scores rescaled to 0-1
    within each ranking (best 1, worst 0; a ranking of one scores it 1). Scores of different kinds
    (BM25, cosine similarity) become comparable; an id missing from a ranking gets 0 there."""
    return [segment_id for segment_id, _ in min_max_fusion_scored(rankings, weights)]


def min_max_fusion_scored(
    rankings: Sequence[Sequence[tuple[uuid.UUID, float]]], weights: Sequence[float] | None = None
) -> list[tuple[uuid.UUID, float]]:
    """`min_max_fusion` with each id's fused score (weights summing to 1 keep it within 0-1)."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[uuid.UUID, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if not ranking:
            continue
        high, low = max(score for _, score in ranking), min(score for _, score in ranking)
        for segment_id, score in ranking:
            scaled = (score - low) / (high - low) if high > low else 1.0
            fused[segment_id] = fused.get(segment_id, 0.0) + weight * scaled
    return sorted(fused.items(), key=lambda item: -item[1])
