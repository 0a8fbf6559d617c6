"""Requests and responses of the agent chat endpoints: the debug chat and the open API chat."""

import uuid
from typing import Any

from pydantic import Field, StrictBool

from .common import HttpUrlStr, RequestModel, ResponseModel, text

MAX_IMAGES = 5

Query = text(10000)


class AgentChatReq(RequestModel):
    query: Query
    image_urls: list[HttpUrlStr] = Field(default_factory=list, max_length=MAX_IMAGES)


class OpenApiChatReq(RequestModel):
    """llmops-api.md §9.6: a turn with one of the key owner's published apps."""

    app_id: uuid.UUID
    # Absent: a new end user (and so a new conversation) is created.
    end_user_id: uuid.UUID | None = None
    # Absent: a new conversation of the end user is started.
    conversation_id: uuid.UUID | None = None
    query: Query
    image_urls: list[HttpUrlStr] = Field(default_factory=list, max_length=MAX_IMAGES)
    stream: StrictBool


class OpenApiAgentThoughtResp(ResponseModel):
    """One step of the answer (llmops-api-index.md D44: `position` kept, token count and price
    added); `latency` in float seconds."""

    id: uuid.UUID
    position: int
    event: str
    thought: str
    observation: str
    tool: str
    tool_input: dict[str, Any]
    total_token_count: int
    total_price: float
    latency: float
    created_at: int


class OpenApiChatResp(ResponseModel):
    """llmops-api.md §9.6 with `stream=false`: the stored message and its steps; `status` and
    `error` say how the run ended (normal, stop, timeout, error)."""

    id: uuid.UUID
    end_user_id: uuid.UUID
    conversation_id: uuid.UUID
    query: str
    image_urls: list[str]
    answer: str
    total_token_count: int
    total_price: float
    latency: float
    status: str
    error: str
    agent_thoughts: list[OpenApiAgentThoughtResp]
    created_at: int
