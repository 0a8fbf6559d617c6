"""Requests of the agent chat endpoints and the shape of their stream events (§1.11)."""

import uuid
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from .common import HttpUrlStr, RequestModel, not_blank

MAX_IMAGES = 5

Query = Annotated[str, StringConstraints(max_length=10000), AfterValidator(not_blank)]


class AgentChatReq(RequestModel):
    query: Query
    image_urls: list[HttpUrlStr] = Field(default_factory=list, max_length=MAX_IMAGES)


class AgentEventData(BaseModel):
    """The `data` of each stream event; `latency` in float seconds."""

    id: uuid.UUID
    event: str
    conversation_id: uuid.UUID | None
    message_id: uuid.UUID | None
    task_id: uuid.UUID | None
    thought: str
    observation: str
    tool: str
    tool_input: dict[str, Any]
    answer: str
    total_token_count: int
    total_price: float
    latency: float
    created_at: int
