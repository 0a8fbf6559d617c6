"""Retrieval against a knowledge base (llmops-api.md §4.6, §4.7): a hit test with a chosen
strategy, and the knowledge base's recent queries."""

import uuid
from dataclasses import dataclass

from injector import inject

from internal.middleware import current_account
from internal.schema.hit_testing import DatasetQueryResp, HitReq, HitSegmentResp
from internal.service.retrieval_service import RetrievalService
from pkg.response import success_json

from .endpoint import endpoint

_TAGS = ("datasets",)


@inject
@dataclass
class DatasetHitHandler:
    retrieval_service: RetrievalService

    @endpoint(body=HitReq, resp=list[HitSegmentResp], tags=_TAGS)
    def hit(self, dataset_id: uuid.UUID, body: HitReq):
        """Recall test: the dataset's best segments for a query; recorded as a `Hit Testing` query."""
        segments = self.retrieval_service.hit(
            current_account().id, dataset_id, body.query, body.retrieval_strategy, body.k, body.score
        )
        return success_json(HitSegmentResp.render_many(segments))

    @endpoint(resp=list[DatasetQueryResp], tags=_TAGS)
    def get_dataset_queries(self, dataset_id: uuid.UUID):
        """The dataset's 10 latest queries, newest first."""
        queries = self.retrieval_service.recent_queries(current_account().id, dataset_id)
        return success_json(DatasetQueryResp.render_many(queries))
