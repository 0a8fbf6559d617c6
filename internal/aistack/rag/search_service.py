"""Semantic and hybrid search over the caller's RAG documents, on the platform's retrieval: the
filters become the documents the search is restricted to, so top_k is filled from them alone."""

import time
import uuid
from dataclasses import dataclass

from injector import inject
from sqlalchemy import select

from internal.core.retrieval.entities import QuerySource, RetrievalStrategy, RetrievedSegment
from internal.service.base_service import BaseService
from internal.service.retrieval_service import RetrievalService

from .document_service import RagDocumentService
from .models import RagDocument, RagKnowledgeBase
from .schemas import HybridSearchReq, ResultMetadata, SearchFilters, SearchResp, SearchResult, SemanticSearchReq


@inject
@dataclass
class RagSearchService(BaseService):
    retrieval_service: RetrievalService
    rag_document_service: RagDocumentService

    def semantic(self, account_id: uuid.UUID, req: SemanticSearchReq) -> SearchResp:
        return self._search(account_id, req.query, req.top_k, req.filters, RetrievalStrategy.SEMANTIC, None)

    def hybrid(self, account_id: uuid.UUID, req: HybridSearchReq) -> SearchResp:
        total = req.semantic_weight + req.keyword_weight
        # The fusion takes (full-text, semantic) weights; normalised so scores stay within 0-1.
        weights = (req.keyword_weight / total, req.semantic_weight / total)
        return self._search(account_id, req.query, req.top_k, req.filters, RetrievalStrategy.HYBRID, weights)

    def _search(
        self,
        account_id: uuid.UUID,
        query: str,
        top_k: int,
        filters: SearchFilters,
        strategy: RetrievalStrategy,
        weights: tuple[float, float] | None,
    ) -> SearchResp:
        started = time.perf_counter()
        binding = self.db.session.get(RagKnowledgeBase, account_id)
        document_ids = None
        if filters.category is not None or filters.tags is not None or filters.document_ids is not None:
            document_ids = self.rag_document_service.matching_document_ids(
                account_id, filters.category, filters.tags, filters.document_ids
            )
        if binding is None or document_ids == []:
            return SearchResp(results=[], query_time_ms=_elapsed_ms(started))
        dataset_id = binding.dataset_id
        self.db.session.commit()
        segments = self.retrieval_service.search(
            account_id,
            [dataset_id],
            query,
            strategy,
            top_k,
            0.0,
            QuerySource.AISTACK,
            document_ids=document_ids,
            hybrid_weights=weights,
        )
        return SearchResp(results=self._results(segments), query_time_ms=_elapsed_ms(started))

    def _results(self, segments: list[RetrievedSegment]) -> list[SearchResult]:
        ids = list({segment.document.id for segment in segments})
        metadata = {rag.document_id: rag for rag in self.db.session.scalars(select(RagDocument).where(RagDocument.document_id.in_(ids)))}
        results = []
        for segment in segments:
            # A document added to the knowledge base in the console has no RAG metadata.
            rag = metadata.get(segment.document.id) or RagDocument(title=segment.document.name, category="", tags=[])
            results.append(
                SearchResult(
                    document_id=segment.document.id,
                    chunk_id=segment.id,
                    content=segment.content,
                    score=segment.score,
                    metadata=ResultMetadata(
                        title=rag.title,
                        category=rag.category,
                        tags=list(rag.tags or []),
                        document_name=segment.document.name,
                        position=segment.position,
                    ),
                )
            )
        return results


def _elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
