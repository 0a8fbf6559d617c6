"""Routes other platforms call back (the WeChat official account, llmops-api.md §17): no account
or key; each handler checks the sender's signature against the target app's secrets and reads
the raw body (XML) itself."""

from dataclasses import dataclass

from injector import inject

from internal.handler.wechat_webhook_handler import WechatWebhookHandler
from internal.middleware import AuthKind

from .route_group import RouteGroup


@inject
@dataclass
class WebhookRoutes:
    wechat_webhook_handler: WechatWebhookHandler

    def group(self) -> RouteGroup:
        return RouteGroup(
            "webhooks",
            AuthKind.WEBHOOK,
            [
                ("GET", "/wechat/<uuid:app_id>", self.wechat_webhook_handler.verify),
                ("POST", "/wechat/<uuid:app_id>", self.wechat_webhook_handler.receive),
            ],
        )
