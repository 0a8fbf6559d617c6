"""Request and response shapes of the self-learning system."""

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from internal.aistack.gateway.envelope import IsoTime, RowResp
from internal.schema.common import RequestModel

from .models import RetrainJob

FeedbackValue = Literal["positive", "negative", "neutral"]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]


class InteractionReq(RequestModel):
    user_input: Text
    system_response: Text
    feedback: FeedbackValue


class MessageFeedbackReq(RequestModel):
    feedback: FeedbackValue


class InteractionResp(RowResp):
    interaction_id: uuid.UUID = Field(validation_alias="id")
    user_input: str
    system_response: str
    feedback: FeedbackValue
    source: Literal["api", "message"]
    message_id: uuid.UUID | None = None
    created_at: IsoTime
    updated_at: IsoTime


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


class RetrainJobResp(RowResp):
    job_id: uuid.UUID = Field(validation_alias="id")
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
    created_at: IsoTime
    started_at: IsoTime | None
    completed_at: IsoTime | None

    @classmethod
    def of(cls, job: RetrainJob, dataset_url: str) -> "RetrainJobResp":
        return super().of(job, dataset_url=dataset_url if job.dataset_jsonl else None)
