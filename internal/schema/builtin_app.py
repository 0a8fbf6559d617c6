"""Requests and responses of the app square (llmops-api.md §10.1-10.3)."""

import uuid

from pydantic import BaseModel, ConfigDict, Field

from .app import AppModelBriefResp
from .common import RequestModel, ResponseModel


class BuiltinAppCategoryResp(ResponseModel):
    category: str
    name: str


class BuiltinAppResp(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: uuid.UUID
    category: str
    name: str
    icon: str
    description: str
    language_model: AppModelBriefResp = Field(alias="model_config")
    created_at: int

    @classmethod
    def render_template(cls, entity, icon_url: str) -> dict:
        return cls.model_validate(
            {
                "id": entity.id,
                "category": entity.category,
                "name": entity.name,
                "icon": icon_url,
                "description": entity.description,
                "model_config": {"provider": entity.model_provider, "model": entity.model_name},
                "created_at": entity.created_at,
            }
        ).model_dump(mode="json", by_alias=True)


class AddBuiltinAppReq(RequestModel):
    builtin_app_id: uuid.UUID
