"""The app configuration as the API takes it (AppConfigUpdate, llmops-api.md §1.8) and shows it (AppConfig, §1.7).

The request models check shapes and limits; whether a model, tool or dataset exists is the
service's check. Nested objects are replaced whole, so all their keys are required.
"""

import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StringConstraints,
)

from internal.core.app_config import RETRIEVAL_STRATEGIES, TTS_VOICES, ToolType
from internal.core.app_config import values as limits

from .common import Documented, JsonInt, RequestModel, Timestamp, trimmed


def _unique(items: list, message: str) -> list:
    if len(set(items)) != len(items):
        raise ValueError(message)
    return items


def _check_datasets(items: list[uuid.UUID]) -> list[uuid.UUID]:
    if len(items) > limits.MAX_DATASETS:
        raise ValueError(f"最多关联{limits.MAX_DATASETS}个知识库")
    return _unique(items, "不能重复关联同一个知识库")


def _check_workflows(items: list[uuid.UUID]) -> list[uuid.UUID]:
    if len(items) > limits.MAX_WORKFLOWS:
        raise ValueError(f"最多关联{limits.MAX_WORKFLOWS}个工作流")
    return _unique(items, "不能重复关联同一个工作流")


def _two_decimals(value: float) -> float:
    return round(value, 2)


Name = trimmed(255, min_length=1)
OpeningQuestion = trimmed(limits.MAX_OPENING_QUESTION_LENGTH, min_length=1)
ReviewKeyword = trimmed(limits.MAX_REVIEW_KEYWORD_LENGTH, min_length=1)


class ModelConfigReq(RequestModel):
    provider: trimmed(64, min_length=1)
    model: trimmed(128, min_length=1)
    # Checked against the model's declared parameters by the language model factory.
    parameters: dict[str, Any] = Field(default_factory=dict)


class AppConfigToolReq(RequestModel):
    type: ToolType
    # A built-in provider's and tool's name; an API tool provider's and tool's id.
    provider_id: Name
    tool_id: Name
    # The built-in tool's settings; `{}` (or left out, llmops-api-index.md D9) when it has none or for API tools.
    params: Annotated[dict[str, Any], BeforeValidator(lambda value: {} if value is None else value)] = Field(
        default_factory=dict
    )


class RetrievalConfigReq(RequestModel):
    retrieval_strategy: Literal[RETRIEVAL_STRATEGIES]
    k: JsonInt = Field(ge=0, le=limits.MAX_RETRIEVAL_K)
    score: Annotated[StrictFloat, Field(ge=0, le=1), AfterValidator(_two_decimals)]


class EnableReq(RequestModel):
    enable: StrictBool


class TextToSpeechReq(RequestModel):
    enable: StrictBool
    voice: Literal[TTS_VOICES]
    auto_play: StrictBool


class ReviewInputsConfigReq(RequestModel):
    enable: StrictBool
    preset_response: Annotated[str, StringConstraints(strip_whitespace=True, max_length=limits.MAX_PRESET_RESPONSE_LENGTH)] = ""


class ReviewConfigReq(RequestModel):
    enable: StrictBool
    keywords: list[ReviewKeyword] = Field(max_length=limits.MAX_REVIEW_KEYWORDS)
    inputs_config: ReviewInputsConfigReq
    outputs_config: EnableReq


class UpdateAppConfigReq(RequestModel):
    """Every key is optional; the ones sent replace the stored values (an incremental update).

    `model_config` is pydantic's own name, so the field carries it as an alias.
    """

    language_model: ModelConfigReq = Field(None, alias="model_config")
    dialog_round: JsonInt = Field(None, ge=0, le=limits.MAX_DIALOG_ROUND)
    preset_prompt: str = Field(None, max_length=limits.MAX_PRESET_PROMPT_LENGTH)
    tools: list[AppConfigToolReq] = Field(None, max_length=limits.MAX_TOOLS)
    workflows: Annotated[
        list[uuid.UUID], AfterValidator(_check_workflows), Documented(maxItems=limits.MAX_WORKFLOWS, uniqueItems=True)
    ] = None
    datasets: Annotated[
        list[uuid.UUID], AfterValidator(_check_datasets), Documented(maxItems=limits.MAX_DATASETS, uniqueItems=True)
    ] = None
    retrieval_config: RetrievalConfigReq = None
    long_term_memory: EnableReq = None
    opening_statement: str = Field(None, max_length=limits.MAX_OPENING_STATEMENT_LENGTH)
    opening_questions: list[OpeningQuestion] = Field(None, max_length=limits.MAX_OPENING_QUESTIONS)
    speech_to_text: EnableReq = None
    text_to_speech: TextToSpeechReq = None
    review_config: ReviewConfigReq = None
    suggested_after_answer: EnableReq = None

    def sent_fields(self) -> list[str]:
        """The API names of the keys the request carried, in declaration order."""
        return [
            field.alias or name for name, field in type(self).model_fields.items() if name in self.model_fields_set
        ]

    def value_of(self, api_name: str) -> Any:
        name = "language_model" if api_name == "model_config" else api_name
        return getattr(self, name)


# --- responses ---------------------------------------------------------------------------------


class _Resp(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class ModelConfigResp(_Resp):
    provider: str
    model: str
    parameters: dict[str, Any]


class BoundToolProviderResp(_Resp):
    id: str
    name: str
    label: str
    icon: str
    description: str


class BoundToolDetailResp(_Resp):
    id: str
    name: str
    label: str
    description: str
    params: dict[str, Any]


class BoundToolResp(_Resp):
    type: ToolType
    provider: BoundToolProviderResp
    tool: BoundToolDetailResp


class BoundResourceResp(_Resp):
    """A bound dataset or workflow."""

    id: uuid.UUID
    name: str
    icon: str
    description: str


class RetrievalConfigResp(_Resp):
    retrieval_strategy: str
    k: int
    score: float


class EnableResp(_Resp):
    enable: bool


class TextToSpeechResp(_Resp):
    enable: bool
    voice: str
    auto_play: bool


class ReviewInputsConfigResp(_Resp):
    enable: bool
    preset_response: str


class ReviewConfigResp(_Resp):
    enable: bool
    keywords: list[str]
    inputs_config: ReviewInputsConfigResp
    outputs_config: EnableResp


class AppConfigResp(_Resp):
    """llmops-api.md §1.7: the draft with its bindings expanded for display."""

    id: uuid.UUID
    language_model: ModelConfigResp = Field(alias="model_config")
    dialog_round: int
    preset_prompt: str
    tools: list[BoundToolResp]
    workflows: list[BoundResourceResp]
    datasets: list[BoundResourceResp]
    retrieval_config: RetrievalConfigResp
    long_term_memory: EnableResp
    opening_statement: str
    opening_questions: list[str]
    speech_to_text: EnableResp
    text_to_speech: TextToSpeechResp
    review_config: ReviewConfigResp
    suggested_after_answer: EnableResp
    updated_at: Timestamp
    created_at: Timestamp

    @classmethod
    def render(cls, data: dict[str, Any]) -> dict:
        return cls.model_validate(data).model_dump(mode="json", by_alias=True)


def render_draft_config(draft: Any, builtin_icon_url: Callable[[str], str]) -> dict:
    """`draft` is the service's DraftConfig: the row and what its bindings point at.

    A built-in provider's icon is a route of this API, so its URL comes from the caller.
    """
    config, bindings = draft.config, draft.bindings
    return AppConfigResp.render(
        {
            "id": config.id,
            "model_config": config.model_config,
            "dialog_round": config.dialog_round,
            "preset_prompt": config.preset_prompt,
            "tools": [render_bound_tool(bound, builtin_icon_url) for bound in bindings.tools],
            "workflows": [_render_resource(workflow) for workflow in bindings.workflows],
            "datasets": [_render_resource(dataset) for dataset in bindings.datasets],
            "retrieval_config": config.retrieval_config,
            "long_term_memory": config.long_term_memory,
            "opening_statement": config.opening_statement,
            "opening_questions": config.opening_questions,
            "speech_to_text": config.speech_to_text,
            "text_to_speech": config.text_to_speech,
            "review_config": config.review_config,
            "suggested_after_answer": config.suggested_after_answer,
            "updated_at": config.updated_at,
            "created_at": config.created_at,
        }
    )


def render_bound_tool(bound: Any, builtin_icon_url: Callable[[str], str]) -> dict:
    """A bound tool (`type`, `provider`, `tool`, `params`) as configurations and graphs show it."""
    provider, tool = bound.provider, bound.tool
    if bound.type is ToolType.BUILTIN_TOOL:
        return {
            "type": bound.type,
            "provider": {
                "id": provider.name,
                "name": provider.name,
                "label": provider.label,
                "icon": builtin_icon_url(provider.name),
                "description": provider.description,
            },
            "tool": {
                "id": tool.name,
                "name": tool.name,
                "label": tool.label,
                "description": tool.description,
                "params": bound.params,
            },
        }
    # An API tool has no labels of its own: its names serve as labels (llmops-api.md §1.7).
    return {
        "type": bound.type,
        "provider": {
            "id": str(provider.id),
            "name": provider.name,
            "label": provider.name,
            "icon": provider.icon,
            "description": provider.description,
        },
        "tool": {"id": str(tool.id), "name": tool.name, "label": tool.name, "description": tool.description, "params": {}},
    }


def _render_resource(resource: Any) -> dict:
    return {"id": resource.id, "name": resource.name, "icon": resource.icon, "description": resource.description}
