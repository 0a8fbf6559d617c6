"""Requests and responses of the conversation endpoints: an app's debug conversation (llmops-api.md §1.9,
§1.10, §1.13, §1.14) and a conversation's messages, name and pin (§5.2-5.7)."""

import uuid
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, StrictBool, StringConstraints

from pkg.paginator import PageReq

from .common import VISIBLE, Documented, RequestModel, ResponseModel, Timestamp, not_blank

# A message cursor in Unix seconds; the service reads the whole second it names, which must be
# a date Python and the databases can hold (up to 9999-12-31).
MAX_CURSOR = 253402300798

ConversationName = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=100), AfterValidator(not_blank), Documented(pattern=VISIBLE)
]


class GetDebugMessagesReq(PageReq):
    """llmops-api.md §1.13: without `created_at` the page counts back from now."""

    created_at: int | None = Field(None, ge=0, le=MAX_CURSOR)


class GetConversationMessagesReq(PageReq):
    """llmops-api.md §5.2: `created_at` 0 means no cursor."""

    created_at: int = Field(0, ge=0, le=MAX_CURSOR)


class UpdateSummaryReq(RequestModel):
    summary: Annotated[str, StringConstraints(max_length=10000)]


class UpdateConversationNameReq(RequestModel):
    name: ConversationName


class UpdateConversationIsPinnedReq(RequestModel):
    # A strict bool: "true", 1 and the like are refused rather than guessed at.
    is_pinned: StrictBool


class SummaryResp(BaseModel):
    summary: str


class ConversationNameResp(BaseModel):
    name: str


class AgentThoughtResp(ResponseModel):
    """One stored step of a message; `latency` in float seconds (llmops-api-index.md D12)."""

    id: uuid.UUID
    position: int
    event: str
    thought: str
    observation: str
    tool: str
    tool_input: dict[str, Any]
    latency: float
    created_at: Timestamp


class MessageResp(ResponseModel):
    """A list item of llmops-api.md §1.13 and §5.2: one round, with its steps ascending by position."""

    id: uuid.UUID
    conversation_id: uuid.UUID
    query: str
    image_urls: list[str]
    answer: str
    total_token_count: int
    latency: float
    agent_thoughts: list[AgentThoughtResp]
    created_at: Timestamp

    @classmethod
    def render_with_thoughts(cls, message: Any, thoughts: list[Any]) -> dict:
        data = {name: getattr(message, name) for name in cls.model_fields if name != "agent_thoughts"}
        return cls.model_validate({**data, "agent_thoughts": thoughts}).model_dump(mode="json")
