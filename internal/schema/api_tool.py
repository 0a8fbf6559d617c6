"""Requests and responses of the custom API tool endpoints (llmops-api.md §2.5, §2.7-2.12)."""

import re
import uuid
from typing import Annotated

from pydantic import AfterValidator, AliasChoices, Field, StringConstraints

from pkg.paginator import PageReq

from .common import Documented, HttpUrlStr, RequestModel, ResponseModel, Timestamp, trimmed

_HEADER_NAME_RULE = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# The same rules as the document states them (the name before its surrounding spaces are trimmed).
_HEADER_NAME_PATTERN = r"^[\t\n\v\f\r ]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+[\t\n\v\f\r ]*$"
_HEADER_VALUE_PATTERN = r"^[^\x00-\x08\x0a-\x1f\x7f]*$"


def _check_header_name(value: str) -> str:
    if not _HEADER_NAME_RULE.match(value):
        raise ValueError("不是合法的请求头名称")
    return value


def _check_header_value(value: str) -> str:
    if _CONTROL_CHARACTERS.search(value):
        raise ValueError("不能包含换行等控制字符")
    return value


ProviderName = trimmed(30, min_length=1)
# The schema travels as text; what it must hold is the service's check (a JSON object, §2.6).
OpenAPISchemaText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100_000),
    Documented(contentMediaType="application/json", contentSchema={"type": "object"}),
]
HeaderName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=256),
    AfterValidator(_check_header_name),
    Documented(pattern=_HEADER_NAME_PATTERN),
]
HeaderValue = Annotated[
    str, StringConstraints(max_length=4096), AfterValidator(_check_header_value), Documented(pattern=_HEADER_VALUE_PATTERN)
]


class ProviderHeaderReq(RequestModel):
    key: HeaderName
    value: HeaderValue


class ValidateOpenAPISchemaReq(RequestModel):
    openapi_schema: OpenAPISchemaText


class CreateApiToolProviderReq(RequestModel):
    name: ProviderName
    icon: HttpUrlStr
    openapi_schema: OpenAPISchemaText
    headers: list[ProviderHeaderReq] = Field(max_length=50)


class UpdateApiToolProviderReq(CreateApiToolProviderReq):
    pass


class GetApiToolProvidersReq(PageReq):
    search_word: Annotated[str, StringConstraints(strip_whitespace=True, max_length=30)] = ""


class ProviderHeaderResp(ResponseModel):
    key: str
    value: str


class ApiToolInputResp(ResponseModel):
    type: str
    required: bool
    name: str
    description: str


class ApiToolBriefResp(ResponseModel):
    id: uuid.UUID
    name: str
    description: str
    # Stored as `parameters` (the schema's word); the API calls them `inputs`.
    inputs: list[ApiToolInputResp] = Field(validation_alias=AliasChoices("inputs", "parameters"))


class ApiToolProviderBriefResp(ResponseModel):
    id: uuid.UUID
    name: str
    icon: str
    description: str
    headers: list[ProviderHeaderResp]
    created_at: Timestamp


class ApiToolProviderItemResp(ApiToolProviderBriefResp):
    """A list item of 2.5: the provider with its tools."""

    tools: list[ApiToolBriefResp]

    @classmethod
    def render_with_tools(cls, provider, tools) -> dict:
        return {**ApiToolProviderBriefResp.render(provider), "tools": ApiToolBriefResp.render_many(tools)}


class ApiToolProviderResp(ApiToolProviderBriefResp):
    """2.10: the provider with its schema text as it was submitted."""

    openapi_schema: str


class ApiToolResp(ApiToolBriefResp):
    """2.11: one tool with the provider it belongs to."""

    provider: ApiToolProviderBriefResp

    @classmethod
    def render_with_provider(cls, tool, provider) -> dict:
        return {**ApiToolBriefResp.render(tool), "provider": ApiToolProviderBriefResp.render(provider)}
