"""Request and response shapes of the self-learning system."""

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from internal.aistack.gateway.envelope import iso
from internal.schema.common import RequestModel

from .models import Interaction, RetrainJob

FeedbackValue = Literal["positive", "negative", "neutral"]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]


class InteractionReq(RequestModel):
    user_input: Text
    system_response: Text
    feedback: FeedbackValue


class MessageFeedbackReq(RequestModel):
    feedback: FeedbackValue


class InteractionResp(BaseModel):
    interaction_id: uuid.UUID
    user_input: str
    system_response: str
    feedback: FeedbackValue
    source: Literal["api", "message"]
    message_id: uuid.UUID | None = None
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, row: Interaction) -> "InteractionResp":
        return cls(
            interaction_id=row.id,
            user_input=row.user_input,
            system_response=row.system_response,
            feedback=row.feedback,
            source=row.source,
            message_id=row.message_id,
            created_at=iso(row.created_at),
            updated_at=iso(row.updated_at),
        )


class PatternsQuery(RequestModel):
    limit: int = Field(20, ge=1, le=100)


class Pattern(BaseModel):
    pattern_id: int = Field(description="The topic's rank in this answer (most frequent first)")
    label: str
    keywords: list[str]
    frequency: int = Field(description="Interactions of the topic")
    share: float = Field(description="Its share of all clustered interactions")
    negative_count: int
    negative_rate: float
    positive_rate: float
    example_interaction_ids: list[uuid.UUID]


class PatternsResp(BaseModel):
    patterns: list[Pattern]
    total_interactions: int
    total_patterns: int


class Improvement(BaseModel):
    pattern_label: str
    keywords: list[str]
    frequency: int
    negative_rate: float
    problem: str
    suggestion: str
    evidence: list[uuid.UUID] = Field(description="Ids of the negatively rated interactions the suggestion rests on")


class ImprovementsResp(BaseModel):
    improvements: list[Improvement]
    analyzed_patterns: int
    method: Literal["model", "heuristic"] = Field(description="heuristic: the model failed; suggestions from the topics' figures")
    model_error: str | None = None


class RetrainReq(RequestModel):
    model_type: Literal["response_generator"] = "response_generator"


class RetrainJobResp(BaseModel):
    job_id: uuid.UUID
    model_type: str
    status: Literal["pending", "running", "completed", "failed"]
    stage: str
    training_examples: int
    holdout_examples: int
    improved_prompt: str
    evaluation: dict | None
    fine_tune: dict | None
    dataset_url: str | None = Field(description="Where the data set (OpenAI chat JSONL) can be downloaded, once built")
    error: str
    created_at: str
    started_at: str | None
    completed_at: str | None

    @classmethod
    def of(cls, job: RetrainJob, dataset_url: str) -> "RetrainJobResp":
        return cls(
            job_id=job.id,
            model_type=job.model_type,
            status=job.status,
            stage=job.stage,
            training_examples=job.training_examples,
            holdout_examples=job.holdout_examples,
            improved_prompt=job.improved_prompt,
            evaluation=job.evaluation,
            fine_tune=job.fine_tune,
            dataset_url=dataset_url if job.dataset_jsonl else None,
            error=job.error,
            created_at=iso(job.created_at),
            started_at=iso(job.started_at),
            completed_at=iso(job.completed_at),
        )
