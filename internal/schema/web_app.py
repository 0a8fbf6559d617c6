"""Requests and responses of the WebApp endpoints (llmops-api.md §15.1-15.3) and the WebApp's
conversation list (§5.1)."""

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field

from .agent_chat import AgentChatReq
from .common import RequestModel, ResponseModel, Timestamp


def _empty_is_none(value):
    return None if value == "" else value


class WebAppChatReq(AgentChatReq):
    """llmops-api.md §15.2: an empty or absent `conversation_id` starts a new conversation."""

    conversation_id: Annotated[uuid.UUID | None, BeforeValidator(_empty_is_none)] = None


class GetWebAppConversationsReq(RequestModel):
    """llmops-api.md §5.1: `is_pinned` arrives as the query string `true` or `false` (default false)."""

    is_pinned: Literal["true", "false"] = "false"

    @property
    def pinned(self) -> bool:
        return self.is_pinned == "true"


class SuggestedAfterAnswerResp(BaseModel):
    enable: bool


class WebAppConfigResp(BaseModel):
    """The published config fields a WebApp front end needs (llmops-api-index.md D56)."""

    opening_statement: str
    opening_questions: list[str] = Field(max_length=3)
    suggested_after_answer: SuggestedAfterAnswerResp
    features: list[str]


class WebAppResp(ResponseModel):
    id: uuid.UUID
    icon: str
    name: str
    description: str
    app_config: WebAppConfigResp


class WebAppConversationResp(ResponseModel):
    id: uuid.UUID
    name: str
    summary: str
    created_at: Timestamp
