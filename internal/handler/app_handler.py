"""Agent apps (llmops-api.md §1.1-1.8): base info and the draft configuration."""

import uuid
from dataclasses import dataclass

from flask import url_for
from injector import inject

from internal.middleware import current_account
from internal.schema.app import (
    AppIdResp,
    AppItemResp,
    AppResp,
    CopyAppResp,
    CreateAppReq,
    GetAppsWithPageReq,
    UpdateAppReq,
)
from internal.schema.app_config import AppConfigResp, UpdateAppConfigReq, render_draft_config
from internal.schema.common import Page
from internal.service.app_config_service import AppConfigService
from internal.service.app_service import AppService
from pkg.paginator import page_body
from pkg.response import Response, json, success_json, success_message

from .endpoint import endpoint

_TAGS = ("apps",)


def builtin_tool_icon_url(provider_name: str) -> str:
    return url_for("llmops.get_provider_icon", provider_name=provider_name, _external=True)


@inject
@dataclass
class AppHandler:
    app_service: AppService
    app_config_service: AppConfigService

    @endpoint(body=CreateAppReq, resp=AppIdResp, tags=_TAGS)
    def create_app(self, body: CreateAppReq):
        """Create an Agent app with the default draft configuration (openai/gpt-4o-mini)."""
        app = self.app_service.create(current_account().id, body)
        return json(Response(data={"id": str(app.id)}, message="创建Agent应用成功"))

    @endpoint(resp=AppResp, tags=_TAGS)
    def get_app(self, app_id: uuid.UUID):
        """The app's base information."""
        return success_json(AppResp.render(self.app_service.get_app(current_account().id, app_id)))

    @endpoint(query=GetAppsWithPageReq, resp=Page[AppItemResp], tags=_TAGS)
    def get_apps_with_page(self, query: GetAppsWithPageReq):
        """The account's apps, newest first; `search_word` matches names. The prompt and model
        shown are the published config's while published, the draft's otherwise."""
        apps, paginator = self.app_service.list_apps(current_account().id, query)
        items = [AppItemResp.render_with_config(app, config) for app, config in apps]
        return success_json(page_body(items, paginator))

    @endpoint(body=UpdateAppReq, tags=_TAGS)
    def update_app(self, app_id: uuid.UUID, body: UpdateAppReq):
        """Change the app's name, icon and description."""
        self.app_service.update(current_account().id, app_id, body)
        return success_message("修改Agent智能体应用成功")

    @endpoint(resp=CopyAppResp, tags=_TAGS)
    def copy_app(self, app_id: uuid.UUID):
        """A new draft app with this app's base info and checked draft configuration."""
        app = self.app_service.copy(current_account().id, app_id)
        return success_json({"id": str(app.id), "app_id": str(app.id)})

    @endpoint(tags=_TAGS)
    def delete_app(self, app_id: uuid.UUID):
        """Delete the app with its configurations and publish history."""
        self.app_service.delete(current_account().id, app_id)
        return success_message("删除Agent智能体应用成功")

    @endpoint(resp=AppConfigResp, tags=_TAGS)
    def get_draft_app_config(self, app_id: uuid.UUID):
        """The draft configuration; bindings to tools, datasets and workflows that are gone are
        removed (and the removal saved) before it is returned."""
        draft = self.app_config_service.get_draft(current_account().id, app_id)
        return success_json(render_draft_config(draft, builtin_tool_icon_url))

    @endpoint(body=UpdateAppConfigReq, tags=_TAGS)
    def update_draft_app_config(self, app_id: uuid.UUID, body: UpdateAppConfigReq):
        """Incremental update: only the keys sent change, each checked; nothing changes on error."""
        self.app_config_service.update_draft(current_account().id, app_id, body)
        return success_message("更新AI应用配置成功")
