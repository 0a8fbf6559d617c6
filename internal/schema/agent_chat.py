"""Requests of the agent chat endpoints."""

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from .common import HttpUrlStr, RequestModel, not_blank

MAX_IMAGES = 5

Query = Annotated[str, StringConstraints(max_length=10000), AfterValidator(not_blank)]


class AgentChatReq(RequestModel):
    query: Query
    image_urls: list[HttpUrlStr] = Field(default_factory=list, max_length=MAX_IMAGES)
