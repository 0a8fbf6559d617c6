"""Publishing apps (llmops-api.md §1.15-1.20): publish, cancel, history, roll-back and the WebApp token."""

import uuid
from dataclasses import dataclass

from injector import inject

from internal.middleware import current_account
from internal.schema.app import (
    FallbackHistoryReq,
    GetPublishHistoriesReq,
    PublishedConfigResp,
    PublishHistoryResp,
    WebAppTokenResp,
)
from internal.schema.common import Page
from internal.service.app_publish_service import AppPublishService
from pkg.paginator import page_body
from pkg.response import success_json, success_message

from .endpoint import endpoint

_TAGS = ("apps",)


@inject
@dataclass
class AppPublishHandler:
    app_publish_service: AppPublishService

    @endpoint(tags=_TAGS)
    def publish(self, app_id: uuid.UUID):
        """Publish the draft (or update the publication) and record it as a new version."""
        self.app_publish_service.publish(current_account().id, app_id)
        return success_message("发布/更新应用配置信息成功")

    @endpoint(tags=_TAGS)
    def cancel_publish(self, app_id: uuid.UUID):
        """Take a published app back to draft; its WebApp token stops working."""
        self.app_publish_service.cancel_publish(current_account().id, app_id)
        return success_message("取消发布应用配置成功")

    @endpoint(query=GetPublishHistoriesReq, resp=Page[PublishHistoryResp], tags=_TAGS)
    def get_publish_histories_with_page(self, app_id: uuid.UUID, query: GetPublishHistoriesReq):
        """The app's published versions, newest first."""
        versions, paginator = self.app_publish_service.get_histories(current_account().id, app_id, query)
        return success_json(page_body(PublishHistoryResp.render_many(versions), paginator))

    @endpoint(body=FallbackHistoryReq, tags=_TAGS)
    def fallback_history_to_draft(self, app_id: uuid.UUID, body: FallbackHistoryReq):
        """Copy a published version over the draft; publishing it again is a separate step."""
        self.app_publish_service.fallback_to_draft(current_account().id, app_id, body.app_config_version_id)
        return success_message("回退历史配置至草稿成功")

    @endpoint(resp=PublishedConfigResp, tags=_TAGS)
    def get_published_config(self, app_id: uuid.UUID):
        """The app's publication channels; today the WebApp, whose token is "" while draft."""
        app = self.app_publish_service.get_app(current_account().id, app_id)
        return success_json(PublishedConfigResp.render_app(app))

    @endpoint(resp=WebAppTokenResp, tags=_TAGS)
    def regenerate_web_app_token(self, app_id: uuid.UUID):
        """A new WebApp token for a published app; the old one stops working."""
        token = self.app_publish_service.regenerate_web_app_token(current_account().id, app_id)
        return success_json({"token": token})
