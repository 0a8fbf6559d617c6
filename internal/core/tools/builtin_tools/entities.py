"""What the built-in tool catalog declares: categories, providers, their tools and the tools' settings."""

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Entity(BaseModel):
    # A typo in a YAML key should fail start-up, not vanish.
    model_config = ConfigDict(extra="forbid", frozen=True)


class CategoryEntity(_Entity):
    category: str
    name: str
    icon: str = Field(description="SVG markup")


class ToolInputType(str, Enum):
    """JSON-schema types, as the LLM sees them in the tool-call schema."""

    STRING = "string"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"


class ToolInput(_Entity):
    """An argument the LLM fills in when it calls the tool."""

    name: str
    description: str
    required: bool = True
    type: ToolInputType = ToolInputType.STRING


class ToolParamType(str, Enum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    SELECT = "select"


class ToolParamOption(_Entity):
    value: str
    label: str


class ToolParam(_Entity):
    """A setting the user chooses when adding the tool to an app."""

    name: str
    label: str
    type: ToolParamType
    required: bool = False
    default: Any = None
    min: float | None = None
    max: float | None = None
    help: str | None = None
    options: list[ToolParamOption] = []

    @model_validator(mode="after")
    def _check_declaration(self) -> "ToolParam":
        if self.type is ToolParamType.SELECT and not self.options:
            raise ValueError(f"select param {self.name} needs options")
        if self.type is not ToolParamType.SELECT and self.options:
            raise ValueError(f"only select params have options ({self.name})")
        if self.type is not ToolParamType.NUMBER and (self.min is not None or self.max is not None):
            raise ValueError(f"only number params have min/max ({self.name})")
        return self

    @property
    def option_values(self) -> list[str]:
        return [option.value for option in self.options]


class ToolEntity(_Entity):
    name: str
    label: str
    description: str
    inputs: list[ToolInput] = []
    params: list[ToolParam] = []

    def param(self, name: str) -> ToolParam | None:
        return next((param for param in self.params if param.name == name), None)


class ProviderEntity(_Entity):
    name: str
    label: str
    description: str
    category: str
    background: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$")
    icon: str = Field(description="File name of the icon inside the provider's folder")
    position: int = Field(description="Order in the list, ascending")
    created_at: int = Field(description="Unix seconds the provider was published")
    tools: list[ToolEntity]

    def tool(self, name: str) -> ToolEntity | None:
        return next((tool for tool in self.tools if tool.name == name), None)
