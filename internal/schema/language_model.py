"""Response shapes of the language model catalog (llmops-api.md §12): providers, models, parameters."""

from typing import Any

from pydantic import BaseModel, computed_field

from internal.core.language_model.entities import ModelEntity


class ModelParameterResp(BaseModel):
    name: str
    label: str
    type: str
    help: str
    required: bool
    default: Any
    min: float | None
    max: float | None
    precision: int | None
    options: list[Any]


class ModelResp(BaseModel):
    model: str
    label: str
    model_type: str
    context_window: int
    max_output_tokens: int
    features: list[str]
    metadata: dict[str, Any]
    attributes: dict[str, Any]
    parameters: list[ModelParameterResp]

    # The document's examples name these `name` and `context_windows`, and front ends read
    # `model_name`; every spelling is served.
    @computed_field
    def name(self) -> str:
        return self.model

    @computed_field
    def model_name(self) -> str:
        return self.model

    @computed_field
    def context_windows(self) -> int:
        return self.context_window

    @classmethod
    def render(cls, model: ModelEntity) -> dict:
        return cls.model_validate(model.model_dump(mode="json")).model_dump(mode="json")


class ProviderResp(BaseModel):
    name: str
    position: int
    label: str
    icon: str
    description: str
    background: str
    support_model_types: list[str]
    models: list[ModelResp]
