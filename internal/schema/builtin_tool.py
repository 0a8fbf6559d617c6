"""Response shapes of the built-in tool catalog (llmops-api.md §2.1–2.3)."""

from typing import Any

from .common import ResponseModel


class BuiltinCategoryResp(ResponseModel):
    category: str
    name: str
    icon: str


class ToolInputResp(ResponseModel):
    name: str
    description: str
    required: bool
    type: str


class ToolParamOptionResp(ResponseModel):
    value: str
    label: str


class ToolParamResp(ResponseModel):
    name: str
    label: str
    type: str
    required: bool
    default: Any = None
    min: float | None = None
    max: float | None = None
    help: str | None = None
    options: list[ToolParamOptionResp]


class BuiltinToolResp(ResponseModel):
    name: str
    label: str
    description: str
    inputs: list[ToolInputResp]
    params: list[ToolParamResp]


class BuiltinProviderBriefResp(ResponseModel):
    name: str
    label: str
    description: str
    category: str
    background: str


class BuiltinProviderResp(BuiltinProviderBriefResp):
    tools: list[BuiltinToolResp]
    created_at: int


class BuiltinToolDetailResp(ResponseModel):
    provider: BuiltinProviderBriefResp
    name: str
    label: str
    description: str
    inputs: list[ToolInputResp]
    params: list[ToolParamResp]
    created_at: int

    @classmethod
    def render_tool(cls, provider: Any, tool: Any) -> dict:
        """A tool shares its provider's publication time; tools carry none of their own."""
        return cls.render({"provider": provider, **dict(tool), "created_at": provider.created_at})
