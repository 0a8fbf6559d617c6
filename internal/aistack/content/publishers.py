"""The adapters publications go out through: the WeChat official account of one of the account's
apps (draft/add, then freepublish/submit) and a generic webhook (a JSON POST through the guarded
HTTP client). Each takes a snapshot of the publication and answers with what the platform
reported, or raises `PublishFailed` with the reason shown to the caller."""

import html
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from injector import inject

from config import Settings
from internal.aistack.gateway.envelope import iso
from internal.exception import CustomException
from internal.service.wechat_config_service import WechatConfigService
from pkg.guarded_http import GuardedHttpClient, OutboundRequestError
from pkg.wechat.api import TOKEN_EXPIRED_CODES, WeChatApi, WeChatApiError

WEBHOOK_EVENT = "content.publish"
# The part of a receiver's answer kept as the reason of a failed publication.
MAX_REASON_CHARS = 500
# What a webhook receiver may report about the publication's reach.
ENGAGEMENT_FIELDS = ("views", "likes", "comments", "shares")
# WeChat's digest (the summary under the title in the feed) holds 54 characters at most.
WECHAT_DIGEST_CHARS = 54


class PublishFailed(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason[:MAX_REASON_CHARS]


@dataclass(frozen=True)
class Outgoing:
    """What is published, read from the row before the slow call (no session held across it)."""

    id: uuid.UUID
    platform: str
    title: str
    content: str
    images: list[str]
    scheduled_time: datetime
    app_id: uuid.UUID | None
    webhook_url: str | None
    thumb_media_id: str


@dataclass
class Outcome:
    external_id: str = ""
    engagement: dict[str, int] = field(default_factory=dict)


@inject
@dataclass
class WechatPublisher:
    settings: Settings
    wechat_configs: WechatConfigService

    def publish(self, outgoing: Outgoing) -> Outcome:
        if outgoing.app_id is None:
            raise PublishFailed("发布所用的应用已被删除")
        try:
            account = self.wechat_configs.get_account(outgoing.app_id)
        except CustomException as exc:  # unpublished, unconfigured or deleted since the request
            raise PublishFailed(exc.message) from None
        finally:
            self.wechat_configs.db.session.close()
        api = WeChatApi(self.settings.wechat.wechat_api_base, self.settings.aistack_content.aistack_content_wechat_timeout)
        article = {
            "title": outgoing.title,
            "author": "",
            "digest": outgoing.content[:WECHAT_DIGEST_CHARS],
            "content": article_html(outgoing.content, outgoing.images),
            "thumb_media_id": outgoing.thumb_media_id,
            "need_open_comment": 0,
            "only_fans_can_comment": 0,
        }
        try:
            token = api.stable_access_token(account.wechat_app_id, account.app_secret).token
            try:
                media_id = api.add_draft(token, [article])
            except WeChatApiError as exc:
                if exc.errcode not in TOKEN_EXPIRED_CODES:
                    raise
                token = api.stable_access_token(account.wechat_app_id, account.app_secret, force_refresh=True).token
                media_id = api.add_draft(token, [article])
            publish_id = api.submit_publish(token, media_id)
        except WeChatApiError as exc:
            raise PublishFailed(f"微信公众号接口返回错误 {exc.errcode}：{exc.errmsg}") from None
        return Outcome(external_id=publish_id)


def article_html(content: str, images: list[str]) -> str:
    """The body as the HTML of a WeChat article: one paragraph per line, then the images."""
    paragraphs = [f"<p>{html.escape(line)}</p>" for line in content.splitlines() if line.strip()]
    pictures = [f'<p><img src="{html.escape(url, quote=True)}"/></p>' for url in images]
    return "".join(paragraphs + pictures)


@inject
@dataclass
class WebhookPublisher:
    http: GuardedHttpClient

    def publish(self, outgoing: Outgoing) -> Outcome:
        body = {
            "event": WEBHOOK_EVENT,
            "publication": {
                "publication_id": str(outgoing.id),
                "platform": outgoing.platform,
                "title": outgoing.title,
                "content": outgoing.content,
                "images": outgoing.images,
                "scheduled_time": iso(outgoing.scheduled_time),
            },
        }
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "X-AIStack-Event": WEBHOOK_EVENT, "X-AIStack-Delivery": str(outgoing.id)}
        try:
            response = self.http.request("POST", outgoing.webhook_url, headers=headers, data=data)
        except OutboundRequestError as exc:
            raise PublishFailed(f"Webhook请求失败：{exc}") from None
        if not 200 <= response.status_code < 300:
            raise PublishFailed(f"Webhook返回HTTP {response.status_code}：{response.text[:MAX_REASON_CHARS]}".rstrip("："))
        return _reported(response.content)


def _reported(content: bytes) -> Outcome:
    """What a receiver's JSON answer says: `id` (the platform's id) and `engagement` figures."""
    try:
        answer = json.loads(content)
    except ValueError:
        return Outcome()
    if not isinstance(answer, dict):
        return Outcome()
    external_id = answer.get("id")
    engagement = answer.get("engagement") if isinstance(answer.get("engagement"), dict) else {}
    return Outcome(
        external_id=str(external_id)[:255] if isinstance(external_id, (str, int)) and not isinstance(external_id, bool) else "",
        engagement={
            name: int(value)
            for name, value in engagement.items()
            if name in ENGAGEMENT_FIELDS and isinstance(value, int) and not isinstance(value, bool) and value >= 0
        },
    )
