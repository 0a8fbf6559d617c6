"""HTTP handlers of the self-learning system (aistack-api.md "学习反馈", "模式分析", "改进建议",
"模型重训练"): parse, one service call, envelope."""

import uuid
from dataclasses import dataclass

from flask import Response, request
from injector import inject

from config import Settings
from internal.aistack.gateway.auth import current_account_id
from internal.aistack.gateway.endpoint import aistack_endpoint
from internal.aistack.gateway.envelope import created, success
from internal.aistack.systems import SYSTEMS_BY_NAME
from internal.exception import NotFoundException

from .improvement_service import ImprovementService
from .interaction_service import INTERACTION_LIST, InteractionService
from .pattern_service import PatternService
from .retrain_service import RetrainService
from .schemas import (
    ImprovementsResp,
    InteractionReq,
    InteractionResp,
    MessageFeedbackReq,
    PatternsQuery,
    PatternsResp,
    RetrainJobResp,
    RetrainReq,
)

SYSTEM = "learning"
DATASET_NOT_BUILT = "该重训练任务的数据集尚未生成"


@inject
@dataclass
class LearningHandler:
    settings: Settings
    interaction_service: InteractionService
    pattern_service: PatternService
    improvement_service: ImprovementService
    retrain_service: RetrainService

    @aistack_endpoint(SYSTEM, body=InteractionReq, resp=InteractionResp, status=201, tags=("interactions",))
    def record_interaction(self, body: InteractionReq):
        """Record a user input, the system's response and its feedback (positive, negative or neutral)."""
        return created(InteractionResp.of(self.interaction_service.record(current_account_id(), body)))

    @aistack_endpoint(SYSTEM, listing=INTERACTION_LIST, resp=InteractionResp, tags=("interactions",))
    def list_interactions(self, query):
        """Your interactions; `filter[feedback]` and `filter[source]` (api or message) narrow them."""
        rows, pagination = self.interaction_service.list_page(current_account_id(), query)
        return success([InteractionResp.of(row) for row in rows], pagination=pagination)

    @aistack_endpoint(SYSTEM, resp=InteractionResp, tags=("interactions",))
    def get_interaction(self, interaction_id: uuid.UUID):
        """One of your interactions."""
        return success(InteractionResp.of(self.interaction_service.get(current_account_id(), interaction_id)))

    @aistack_endpoint(SYSTEM, body=MessageFeedbackReq, resp=InteractionResp, tags=("interactions",))
    def rate_message(self, message_id: uuid.UUID, body: MessageFeedbackReq):
        """Rate a message of your own conversations (the platform's apps, the chat center): it
        becomes an interaction (its query and answer); rating it again changes the feedback."""
        return success(InteractionResp.of(self.interaction_service.rate_message(current_account_id(), message_id, body)))

    @aistack_endpoint(SYSTEM, query=PatternsQuery, resp=PatternsResp, tags=("patterns",))
    def patterns(self, query: PatternsQuery):
        """Topics of your newest interactions, clustered by meaning (local embeddings) and
        keywords, most frequent first, each with its negative-feedback rate and examples."""
        return success(self.pattern_service.patterns(current_account_id(), query.limit))

    @aistack_endpoint(SYSTEM, resp=ImprovementsResp, extra_errors=(503,), tags=("improvements",))
    def improvements(self):
        """The model's suggestions for the topics with most negative feedback, each with its
        evidence (the ids of the negatively rated interactions). 503 when no model is usable."""
        return success(self.improvement_service.improvements(current_account_id()))

    @aistack_endpoint(SYSTEM, body=RetrainReq, resp=RetrainJobResp, status=201, extra_errors=(503,), tags=("retrain",))
    def retrain(self, body: RetrainReq):
        """Start a retraining job (poll GET /api/learning/retrain/{job_id}): a fine-tuning data
        set from your positively rated interactions, an improved prompt evaluated on held-out
        ones, and a fine-tuning job when a provider is configured."""
        job = self.retrain_service.start(current_account_id(), body)
        return created(RetrainJobResp.of(job, self._dataset_url(job.id)))

    @aistack_endpoint(SYSTEM, resp=RetrainJobResp, tags=("retrain",))
    def get_retrain_job(self, job_id: uuid.UUID):
        """A retraining job's status, stage and artefacts (evaluation, fine-tuning job, data set link)."""
        job = self.retrain_service.get(current_account_id(), job_id)
        return success(RetrainJobResp.of(job, self._dataset_url(job.id)))

    @aistack_endpoint(SYSTEM, raw_response="application/jsonl", tags=("retrain",))
    def retrain_dataset(self, job_id: uuid.UUID):
        """Download a retraining job's fine-tuning data set (OpenAI chat JSONL)."""
        job = self.retrain_service.get(current_account_id(), job_id)
        if not job.dataset_jsonl:
            raise NotFoundException(DATASET_NOT_BUILT)
        response = Response(job.dataset_jsonl, mimetype="application/jsonl")
        response.headers["Content-Disposition"] = f'attachment; filename="{job.model_type}-{job.id}.jsonl"'
        return response

    def _dataset_url(self, job_id: uuid.UUID) -> str:
        """The data set's path on the address the caller used (the system's port, or the prefix)."""
        path = f"/api/learning/retrain/{job_id}/dataset"
        port = request.environ.get("SERVER_PORT", "")
        if port.isdigit() and self.settings.aistack.port_map.get(int(port)) == SYSTEM:
            return path
        return SYSTEMS_BY_NAME[SYSTEM].prefix + path
