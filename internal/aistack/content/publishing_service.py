"""Publications: created at the request with the platform's credentials checked then (a platform
without them is refused at once), read, listed and cancelled while still scheduled. Publishing
itself is the scheduler's (scheduler.py)."""

import uuid
from dataclasses import dataclass

from injector import inject
from sqlalchemy import select, update

from internal.aistack.gateway.envelope import ErrorCode
from internal.aistack.gateway.errors import AIStackException, invalid_input
from internal.aistack.gateway.listing import paginate
from internal.extension.database import utcnow
from internal.extension.task_queue import TaskQueue
from internal.model import App, WechatConfig
from internal.model.app import AppStatus
from internal.service import task_names
from internal.service.base_service import BaseService
from internal.service.wechat_config_service import is_configured

from .models import ContentPublication, PublicationStatus
from .profiles import profiles
from .schemas import PUBLICATION_LIST, PublishReq

PUBLICATION_NOT_FOUND = "发布记录不存在"
WECHAT = "wechat"
WEBHOOK = "webhook"
TITLE_CHARS = 64


@inject
@dataclass
class PublishingService(BaseService):
    task_queue: TaskQueue

    def publish(self, account_id: uuid.UUID, req: PublishReq) -> ContentPublication:
        platform = req.platform.value
        app_id, webhook_url = None, None
        if platform == WECHAT:
            app_id = self._wechat_app(account_id, req.app_id)
            if not req.thumb_media_id:
                raise invalid_input("thumb_media_id", "发布到微信公众号需要封面图的永久素材media_id")
        elif req.webhook_url is None:
            label = profiles()[platform].label if platform in profiles() else "Webhook"
            raise invalid_input("webhook_url", f"{label}未配置发布凭据：请提供接收发布内容的 webhook_url")
        else:
            webhook_url = req.webhook_url
        title_limit = profiles()[platform].title.max_chars if platform in profiles() else TITLE_CHARS
        if len(req.title) > title_limit:
            raise invalid_input("title", f"标题不能超过{title_limit}个字")
        now = utcnow()
        scheduled_time = max(req.scheduled_time or now, now)
        with self.db.auto_commit():
            publication = ContentPublication(
                account_id=account_id,
                platform=platform,
                channel=WECHAT if platform == WECHAT else WEBHOOK,
                title=req.title or _first_line(req.content)[:title_limit],
                content=req.content,
                images=list(req.images),
                app_id=app_id,
                webhook_url=webhook_url,
                thumb_media_id=req.thumb_media_id,
                scheduled_time=scheduled_time,
            )
            self.db.session.add(publication)
        if scheduled_time <= now:  # due now: published without waiting for the next sweep
            self.task_queue.enqueue(task_names.PUBLISH_DUE_CONTENT)
        return publication

    def get(self, account_id: uuid.UUID, publication_id: uuid.UUID) -> ContentPublication:
        return self.get_owned(ContentPublication, publication_id, account_id, PUBLICATION_NOT_FOUND)

    def list(self, account_id: uuid.UUID, query):
        stmt = PUBLICATION_LIST.apply(select(ContentPublication).where(ContentPublication.account_id == account_id), query)
        return paginate(self.db.session, stmt, query, tiebreak=ContentPublication.id)

    def cancel(self, account_id: uuid.UUID, publication_id: uuid.UUID) -> ContentPublication:
        """Only a publication the scheduler has not claimed can be cancelled: the same conditional
        UPDATE as the scheduler's claim decides which of the two wins."""
        publication = self.get(account_id, publication_id)
        now = utcnow()
        with self.db.auto_commit():
            cancelled = self.db.session.execute(
                update(ContentPublication)
                .where(ContentPublication.id == publication.id, ContentPublication.status == PublicationStatus.SCHEDULED)
                .values(status=PublicationStatus.CANCELLED, cancelled_at=now, reason="已取消", updated_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
        self.db.session.refresh(publication)
        if not cancelled:
            raise AIStackException(
                ErrorCode.INVALID_INPUT,
                f"只能取消尚未开始发布的内容，当前状态：{publication.status}",
                400,
                {"status": publication.status},
            )
        return publication

    def _wechat_app(self, account_id: uuid.UUID, app_id: uuid.UUID | None) -> uuid.UUID:
        """The account's published app whose WeChat official account publishes: the one named, or
        the only one configured."""
        if app_id is not None:
            app = self.db.session.get(App, app_id)
            if app is None or app.account_id != account_id:
                raise invalid_input("app_id", "应用不存在")
            if app.status != AppStatus.PUBLISHED or not is_configured(self.db.session.get(WechatConfig, app.id)):
                raise invalid_input("app_id", "该应用未发布或未配置微信公众号，无法发布到微信公众号")
            return app.id
        candidates = self.db.session.scalars(
            select(App)
            .join(WechatConfig, WechatConfig.app_id == App.id)
            .where(App.account_id == account_id, App.status == AppStatus.PUBLISHED)
        ).all()
        configured = [app.id for app in candidates if is_configured(self.db.session.get(WechatConfig, app.id))]
        if not configured:
            raise invalid_input("platform", "微信公众号未配置发布凭据：请先为一个已发布的应用配置微信公众号")
        if len(configured) > 1:
            raise invalid_input("app_id", "多个应用配置了微信公众号，请用 app_id 指定其一")
        return configured[0]


def _first_line(content: str) -> str:
    line = next((line.strip() for line in content.splitlines() if line.strip()), "")
    return line[:TITLE_CHARS]
