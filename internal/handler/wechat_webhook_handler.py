"""The webhook WeChat calls for an app's official account (llmops-api.md §17.3): authenticated by
WeChat's signature instead of a login; raw XML in, raw text or XML out."""

import uuid
from dataclasses import dataclass

from flask import Response, request
from injector import inject

from internal.schema.wechat import WechatPushReq, WechatVerifyReq
from internal.service.wechat_service import WechatService

from .endpoint import endpoint

_TAGS = ("wechat",)


@inject
@dataclass
class WechatWebhookHandler:
    wechat_service: WechatService

    @endpoint(query=WechatVerifyReq, raw_response="text/plain", tags=_TAGS)
    def verify(self, app_id: uuid.UUID, query: WechatVerifyReq):
        """WeChat's server URL check: answers the raw `echostr` when the signature matches."""
        return Response(self.wechat_service.verify(app_id, query), mimetype="text/plain")

    @endpoint(query=WechatPushReq, raw_response="application/xml", tags=_TAGS)
    def receive(self, app_id: uuid.UUID, query: WechatPushReq):
        """A message WeChat pushes (XML body, plain or safe mode); answers a passive reply in time."""
        reply = self.wechat_service.receive(app_id, query, request.get_data(cache=False))
        return Response(reply.body, mimetype=reply.mimetype)
