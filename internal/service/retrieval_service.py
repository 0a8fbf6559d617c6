"""Retrieval from an account's datasets, for hit testing (4.6) and for apps: it ranks segments,
counts their hits and records the query (4.7)."""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from injector import inject
from langchain_core.embeddings import Embeddings
from sqlalchemy import insert, select, update

from internal.core.rerank import Reranker, RerankError
from internal.core.retrieval.entities import (
    QuerySource,
    RetrievalStrategy,
    RetrievedDocument,
    RetrievedSegment,
    ScoredSegment,
)
from internal.core.retrieval.strategies import HYBRID_WEIGHTS, SegmentRanker
from internal.extension.database import utcnow
from internal.model import Dataset, DatasetQuery, Document, DocumentStatus, Segment, SegmentStatus, UploadFile

from .base_service import BaseService

logger = logging.getLogger(__name__)

DATASET_NOT_FOUND = "该知识库不存在"
RECENT_QUERY_COUNT = 10


@inject
@dataclass
class RetrievalService(BaseService):
    embeddings: Embeddings
    ranker: SegmentRanker
    reranker: Reranker

    def search(
        self,
        account_id: uuid.UUID,
        dataset_ids: Sequence[uuid.UUID],
        query: str,
        strategy: RetrievalStrategy | str,
        k: int,
        score: float,
        source: QuerySource | str = QuerySource.HIT_TESTING,
        source_app_id: uuid.UUID | None = None,
        document_ids: Sequence[uuid.UUID] | None = None,
        hybrid_weights: tuple[float, float] | None = None,
    ) -> list[RetrievedSegment]:
        """At most `k` searchable segments of the account's datasets among `dataset_ids` (others
        are ignored), best first. `score` is the least similarity for semantic retrieval, and for
        the semantic side of hybrid retrieval. `document_ids` restricts the search to those
        documents. `hybrid_weights` (full-text, semantic; summing to 1) replace hybrid's equal
        weights, and then each hit's score is its fused score; without them hybrid hits score 0,
        as the console shows them (§4.6). With a reranker configured, its order replaces
        retrieval's among the best candidates (their scores stay the strategy's).

        Records one query per dataset searched and counts the hits of each returned segment
        and, once per query, of each document they belong to. The service runs its own
        transactions: the caller must have nothing uncommitted.
        """
        strategy, source = RetrievalStrategy(strategy), QuerySource(source)
        searched = self._owned_dataset_ids(account_id, dataset_ids)
        # Nothing is pending; ending the read transaction frees the connection while embedding.
        self.db.session.commit()
        vector = None
        if searched and k > 0 and strategy is not RetrievalStrategy.FULL_TEXT:
            vector = self.embeddings.embed_query(query)

        rerank = self.reranker.active and k > 0
        with self.db.auto_commit():
            pool = max(k, self.reranker.candidates) if rerank else k
            candidates = self.ranker.rank(
                strategy, searched, query, vector, pool, score, hybrid_weights or HYBRID_WEIGHTS, document_ids
            )
            if strategy is RetrievalStrategy.HYBRID and hybrid_weights is None:
                candidates = [ScoredSegment(candidate.segment_id, 0.0) for candidate in candidates]
            hits = self._searchable(candidates)
            reranked = hits[: self.reranker.candidates] if rerank else []
            contents = self._contents(reranked)
        # The rerank request runs outside any transaction.
        hits = self._reranked(query, reranked, contents) + hits[len(reranked) :]

        with self.db.auto_commit():
            hits = hits[: max(k, 0)]
            self._count_hits(hits)
            self._record_queries(searched, query, source, account_id, source_app_id)
            results = self._load(hits)
        return results

    def hit(
        self, account_id: uuid.UUID, dataset_id: uuid.UUID, query: str, strategy: RetrievalStrategy | str, k: int, score: float
    ) -> list[RetrievedSegment]:
        """A hit test of one dataset (4.6), recorded as `Hit Testing`."""
        self.get_owned(Dataset, dataset_id, account_id, DATASET_NOT_FOUND)
        return self.search(account_id, [dataset_id], query, strategy, k, score, QuerySource.HIT_TESTING)

    def recent_queries(self, account_id: uuid.UUID, dataset_id: uuid.UUID) -> list[DatasetQuery]:
        """The dataset's latest queries, newest first (4.7)."""
        self.get_owned(Dataset, dataset_id, account_id, DATASET_NOT_FOUND)
        return list(
            self.db.session.scalars(
                select(DatasetQuery)
                .where(DatasetQuery.dataset_id == dataset_id)
                .order_by(DatasetQuery.created_at.desc(), DatasetQuery.id.desc())
                .limit(RECENT_QUERY_COUNT)
            )
        )

    # --- steps --------------------------------------------------------------------------------

    def _owned_dataset_ids(self, account_id: uuid.UUID, dataset_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
        wanted = list(dict.fromkeys(dataset_ids))
        if not wanted:
            return []
        owned = set(
            self.db.session.scalars(select(Dataset.id).where(Dataset.id.in_(wanted), Dataset.account_id == account_id))
        )
        return [dataset_id for dataset_id in wanted if dataset_id in owned]

    def _searchable(self, candidates: list[ScoredSegment]) -> list[ScoredSegment]:
        """The candidates whose segment and document are still enabled and completed, in order."""
        if not candidates:
            return []
        ids = [candidate.segment_id for candidate in candidates]
        kept = set(
            self.db.session.scalars(
                select(Segment.id)
                .join(Document, Document.id == Segment.document_id)
                .where(
                    Segment.id.in_(ids),
                    Segment.enabled.is_(True),
                    Segment.status == SegmentStatus.COMPLETED.value,
                    Document.enabled.is_(True),
                    Document.status == DocumentStatus.COMPLETED.value,
                )
            )
        )
        return [candidate for candidate in candidates if candidate.segment_id in kept]

    def _contents(self, hits: list[ScoredSegment]) -> dict[uuid.UUID, str]:
        if not hits:
            return {}
        ids = [hit.segment_id for hit in hits]
        return dict(self.db.session.execute(select(Segment.id, Segment.content).where(Segment.id.in_(ids))).all())

    def _reranked(self, query: str, hits: list[ScoredSegment], contents: dict[uuid.UUID, str]) -> list[ScoredSegment]:
        """The hits in the reranker's order (each keeps its score); its failure keeps retrieval's
        order, since a search without reranking beats no answer."""
        if len(hits) < 2:
            return hits
        try:
            order = self.reranker.rerank(query, [contents.get(hit.segment_id, "") for hit in hits])
        except RerankError:
            logger.warning("reranking failed; retrieval's order is kept", exc_info=True)
            return hits
        return [hits[index] for index in order]

    def _count_hits(self, hits: list[ScoredSegment]) -> None:
        """Atomic increments: a segment per hit, a document once per query however many of its
        segments were hit. A hit is not an edit, so `updated_at` stays as it was."""
        if not hits:
            return
        segment_ids = [hit.segment_id for hit in hits]
        self.db.session.execute(
            update(Segment)
            .where(Segment.id.in_(segment_ids))
            .values(hit_count=Segment.hit_count + 1, updated_at=Segment.updated_at)
            .execution_options(synchronize_session=False)
        )
        document_ids = select(Segment.document_id).where(Segment.id.in_(segment_ids)).distinct()
        self.db.session.execute(
            update(Document)
            .where(Document.id.in_(document_ids))
            .values(hit_count=Document.hit_count + 1, updated_at=Document.updated_at)
            .execution_options(synchronize_session=False)
        )

    def _record_queries(
        self,
        dataset_ids: list[uuid.UUID],
        query: str,
        source: QuerySource,
        account_id: uuid.UUID,
        source_app_id: uuid.UUID | None,
    ) -> None:
        if not dataset_ids:
            return
        now = utcnow()
        self.db.session.execute(
            insert(DatasetQuery),
            [
                {
                    "id": uuid.uuid4(),
                    "dataset_id": dataset_id,
                    "query": query,
                    "source": source.value,
                    "source_app_id": source_app_id,
                    "created_by": account_id,
                    "updated_at": now,
                    "created_at": now,
                }
                for dataset_id in dataset_ids
            ],
        )

    def _load(self, hits: list[ScoredSegment]) -> list[RetrievedSegment]:
        """The hits as plain data, counters included, in the order found."""
        if not hits:
            return []
        rows = self.db.session.execute(
            select(Segment, Document.name, UploadFile.extension, UploadFile.mime_type)
            .join(Document, Document.id == Segment.document_id)
            .outerjoin(UploadFile, UploadFile.id == Document.upload_file_id)
            .where(Segment.id.in_([hit.segment_id for hit in hits]))
            # The counters were just incremented in SQL; objects already in the session are refreshed.
            .execution_options(populate_existing=True)
        )
        by_id = {segment.id: (segment, name, extension, mime_type) for segment, name, extension, mime_type in rows}
        results = []
        for hit in hits:
            if hit.segment_id not in by_id:
                continue
            segment, name, extension, mime_type = by_id[hit.segment_id]
            results.append(
                RetrievedSegment(
                    id=segment.id,
                    dataset_id=segment.dataset_id,
                    document=RetrievedDocument(segment.document_id, name, extension or "", mime_type or ""),
                    score=hit.score,
                    position=segment.position,
                    content=segment.content,
                    keywords=list(segment.keywords or []),
                    character_count=segment.character_count,
                    token_count=segment.token_count,
                    hit_count=segment.hit_count,
                    enabled=segment.enabled,
                    disabled_at=segment.disabled_at,
                    status=segment.status,
                    error=segment.error,
                    updated_at=segment.updated_at,
                    created_at=segment.created_at,
                )
            )
        return results
