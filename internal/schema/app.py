"""Requests and responses of the app endpoints: base info (llmops-api.md §1.1-1.6) and publishing (§1.15-1.20)."""

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from pkg.paginator import PageReq, WidePageReq

from .common import HttpUrlStr, RequestModel, ResponseModel, Timestamp, trimmed

AppName = trimmed(40, min_length=1)
AppDescription = Annotated[
    str, BeforeValidator(lambda value: "" if value is None else value), StringConstraints(strip_whitespace=True, max_length=800)
]


class CreateAppReq(RequestModel):
    name: AppName
    icon: HttpUrlStr
    description: AppDescription = ""


class UpdateAppReq(CreateAppReq):
    pass


class GetAppsWithPageReq(WidePageReq):
    search_word: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = ""


class GetPublishHistoriesReq(PageReq):
    pass


class FallbackHistoryReq(RequestModel):
    app_config_version_id: uuid.UUID


class AppIdResp(BaseModel):
    id: uuid.UUID


class CopyAppResp(AppIdResp):
    # The document's example names the new app's id `app_id` (llmops-api-index.md D5); both keys are served.
    app_id: uuid.UUID


class AppResp(ResponseModel):
    """llmops-api.md §1.1; `debug_conversation_id` is "" while the app has no debug conversation."""

    id: uuid.UUID
    debug_conversation_id: Annotated[str, BeforeValidator(lambda value: "" if value is None else str(value))]
    name: str
    icon: str
    description: str
    status: str
    draft_updated_at: Timestamp
    updated_at: Timestamp
    created_at: Timestamp


class AppModelBriefResp(BaseModel):
    provider: str
    model: str


class AppItemResp(BaseModel):
    """A list item of llmops-api.md §1.4; the prompt and model come from the config the app runs with."""

    model_config = ConfigDict(populate_by_name=True)

    id: uuid.UUID
    name: str
    icon: str
    description: str
    preset_prompt: str
    language_model: AppModelBriefResp = Field(alias="model_config")
    status: str
    updated_at: Timestamp
    created_at: Timestamp

    @classmethod
    def render_with_config(cls, app: Any, config: Any) -> dict:
        model_config = config.model_config or {}
        return cls.model_validate(
            {
                "id": app.id,
                "name": app.name,
                "icon": app.icon,
                "description": app.description,
                "preset_prompt": config.preset_prompt,
                "model_config": {"provider": model_config.get("provider", ""), "model": model_config.get("model", "")},
                "status": app.status,
                "updated_at": app.updated_at,
                "created_at": app.created_at,
            }
        ).model_dump(mode="json", by_alias=True)


class PublishHistoryResp(ResponseModel):
    id: uuid.UUID
    version: int
    created_at: Timestamp


class WebAppConfigResp(BaseModel):
    token: str
    status: str


class PublishedConfigResp(BaseModel):
    web_app: WebAppConfigResp

    @classmethod
    def render_app(cls, app: Any) -> dict:
        return cls(web_app=WebAppConfigResp(token=app.token or "", status=app.status)).model_dump(mode="json")


class WebAppTokenResp(BaseModel):
    token: str
