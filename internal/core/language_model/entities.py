"""What the model catalog declares: providers, their models and the models' parameters."""

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Entity(BaseModel):
    # A typo in a YAML key should fail start-up, not vanish.
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelType(str, Enum):
    CHAT = "chat"
    COMPLETION = "completion"


class ModelFeature(str, Enum):
    TOOL_CALL = "tool_call"
    AGENT_THOUGHT = "agent_thought"
    IMAGE_INPUT = "image_input"


class ParameterType(str, Enum):
    FLOAT = "float"
    INT = "int"
    STRING = "string"
    BOOLEAN = "boolean"


class ModelParameter(_Entity):
    name: str
    label: str
    type: ParameterType
    help: str = ""
    required: bool = False
    default: Any = None
    min: float | None = None
    max: float | None = None
    precision: int | None = None
    options: list[Any] = Field(default_factory=list)


class Pricing(_Entity):
    """Price of `unit` tokens in `currency`: cost = tokens × price × unit."""

    input: float = 0.0
    output: float = 0.0
    unit: float = 0.000001
    currency: str = "CNY"


class ModelEntity(_Entity):
    model: str
    label: str
    model_type: ModelType = ModelType.CHAT
    context_window: int = Field(gt=0)
    max_output_tokens: int = Field(gt=0)
    features: list[ModelFeature] = Field(default_factory=list)
    attributes: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    parameters: list[ModelParameter] = Field(default_factory=list)

    @property
    def pricing(self) -> Pricing:
        return Pricing.model_validate(self.metadata.get("pricing", {}))

    def has_feature(self, feature: ModelFeature) -> bool:
        return feature in self.features

    def parameter(self, name: str) -> ModelParameter | None:
        return next((p for p in self.parameters if p.name == name), None)


class ApiProtocol(str, Enum):
    OPENAI = "openai"
    # Servers that speak OpenAI's API but only know `max_tokens`, not `max_completion_tokens`.
    OPENAI_COMPATIBLE = "openai_compatible"


class ProviderEntity(_Entity):
    name: str
    label: str
    description: str = ""
    background: str = "#FFFFFF"
    position: int = 0
    support_model_types: list[ModelType] = Field(default_factory=lambda: [ModelType.CHAT])
    # Where its OpenAI-compatible API lives unless <NAME>_API_BASE overrides it.
    default_api_base: str
    api_protocol: ApiProtocol = ApiProtocol.OPENAI_COMPATIBLE
    # Local servers (Ollama) accept any key; hosted APIs need <NAME>_API_KEY.
    requires_api_key: bool = True
    models: list[ModelEntity] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_models(self):
        names = [m.model for m in self.models]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"duplicate models: {sorted(duplicates)}")
        return self

    def get_model(self, model: str) -> ModelEntity | None:
        return next((m for m in self.models if m.model == model), None)
