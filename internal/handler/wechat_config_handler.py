"""The console's WeChat official-account configuration (llmops-api.md §17.1, §17.2)."""

import uuid
from dataclasses import dataclass

from flask import request
from injector import inject

from internal.middleware import current_account
from internal.schema.wechat import UpdateWechatConfigReq, WechatConfigResp
from internal.service.wechat_config_service import WechatConfigService
from pkg.response import success_json, success_message

from .endpoint import endpoint

_TAGS = ("wechat",)


@inject
@dataclass
class WechatConfigHandler:
    wechat_config_service: WechatConfigService

    @endpoint(resp=WechatConfigResp, tags=_TAGS)
    def get_wechat_config(self, app_id: uuid.UUID):
        """The app's official-account configuration and the URL and IP to enter at WeChat;
        values are emptied while the app is unpublished or unconfigured."""
        config = self.wechat_config_service.get_config(current_account().id, app_id, request.host_url)
        return success_json(WechatConfigResp.render(config))

    @endpoint(body=UpdateWechatConfigReq, tags=_TAGS)
    def update_wechat_config(self, app_id: uuid.UUID, body: UpdateWechatConfigReq):
        """Save the official account of a published app; `configured` once all three values are set."""
        self.wechat_config_service.update_config(current_account().id, app_id, body)
        return success_message("更新Agent应用微信配置成功")
