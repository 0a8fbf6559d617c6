"""Requests of the agent chat endpoints."""

from pydantic import Field

from .common import HttpUrlStr, RequestModel, text

MAX_IMAGES = 5

Query = text(10000)


class AgentChatReq(RequestModel):
    query: Query
    image_urls: list[HttpUrlStr] = Field(default_factory=list, max_length=MAX_IMAGES)
