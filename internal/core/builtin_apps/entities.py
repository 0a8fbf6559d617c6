"""What the app square declares: categories and app templates."""

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Entity(BaseModel):
    # A typo in a YAML key should fail start-up, not vanish.
    model_config = ConfigDict(extra="forbid", frozen=True)


class BuiltinAppCategory(_Entity):
    category: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)


class BuiltinAppEntity(_Entity):
    id: uuid.UUID
    category: str
    name: str = Field(min_length=1, max_length=40)
    icon: str = Field(description="File name of the icon in icons/")
    description: str = Field(max_length=800)
    created_at: int = Field(description="Unix seconds the template was published")
    # The draft configuration an app made from the template starts with, in the AppConfigUpdate
    # shape (llmops-api.md §1.8); checked by the same rules as an update when the application starts.
    config: dict[str, Any]

    @property
    def model_provider(self) -> str:
        return self.config["model_config"]["provider"]

    @property
    def model_name(self) -> str:
        return self.config["model_config"]["model"]
