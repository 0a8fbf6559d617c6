"""Publishing the scheduled publications whose time has come, run by the periodic
`publish_due_content` task (Celery beat in production, a timer embedded) and right after a
publication due at once is created — in any number of processes at the same time.

Each publication goes out at most once: a conditional UPDATE (`status = 'scheduled'`) claims it,
and of two sweeps racing for it only one sees its row change. The adapter's call runs outside
any transaction; its outcome is recorded after. A claim whose process died mid-call is failed
after a lease, never published again (the platform may have it already)."""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from injector import inject
from sqlalchemy import select, update

from config import Settings
from internal.extension.database import SQLAlchemy, utcnow

from .models import ContentPublication, PublicationStatus
from .publishers import Outcome, Outgoing, PublishFailed, WebhookPublisher, WechatPublisher

logger = logging.getLogger(__name__)

DUE_BATCH = 100
# How long a claimed publication may stay `publishing` beyond the adapter's own timeouts before a
# sweep gives it up as interrupted.
LEASE_MARGIN = 120.0
INTERRUPTED = "发布过程中断（服务重启或超时），结果未知，请到平台上核实"


@inject
@dataclass
class ContentScheduler:
    db: SQLAlchemy
    settings: Settings
    wechat: WechatPublisher
    webhook: WebhookPublisher

    def publish_due(self) -> int:
        """Publish every due publication this call can claim; returns how many it published."""
        self._give_up_interrupted()
        published = 0
        while True:
            candidates = self.db.session.scalars(
                select(ContentPublication.id)
                .where(ContentPublication.status == PublicationStatus.SCHEDULED, ContentPublication.scheduled_time <= utcnow())
                .order_by(ContentPublication.scheduled_time)
                .limit(DUE_BATCH)
            ).all()
            self.db.session.close()
            claimed = 0
            for publication_id in candidates:
                if not self._claim(publication_id):
                    continue  # another sweep has it, or it was cancelled meanwhile
                claimed += 1
                try:
                    published += self._publish(publication_id)
                except Exception:  # one publication's trouble must not stop the others
                    self.db.session.rollback()
                    logger.exception("Publishing content %s failed", publication_id)
                    self._record(publication_id, PublicationStatus.FAILED, reason="发布时发生内部错误")
            if len(candidates) < DUE_BATCH or not claimed:
                return published

    def _claim(self, publication_id: uuid.UUID) -> bool:
        now = utcnow()
        with self.db.auto_commit():
            claimed = self.db.session.execute(
                update(ContentPublication)
                .where(ContentPublication.id == publication_id, ContentPublication.status == PublicationStatus.SCHEDULED)
                .values(status=PublicationStatus.PUBLISHING, attempts=ContentPublication.attempts + 1, updated_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
        return claimed == 1

    def _publish(self, publication_id: uuid.UUID) -> int:
        row = self.db.session.get(ContentPublication, publication_id)
        outgoing = Outgoing(
            id=row.id,
            platform=row.platform,
            title=row.title,
            content=row.content,
            images=list(row.images),
            scheduled_time=row.scheduled_time,
            app_id=row.app_id,
            webhook_url=row.webhook_url,
            thumb_media_id=row.thumb_media_id,
        )
        channel = row.channel
        self.db.session.close()  # no transaction held open across the platform's call
        publisher = self.wechat if channel == "wechat" else self.webhook
        try:
            outcome: Outcome = publisher.publish(outgoing)
        except PublishFailed as exc:
            logger.info("Publication %s failed: %s", publication_id, exc.reason)
            self._record(publication_id, PublicationStatus.FAILED, reason=exc.reason)
            return 0
        self._record(
            publication_id,
            PublicationStatus.PUBLISHED,
            reason="",
            external_id=outcome.external_id,
            engagement=outcome.engagement,
            published_at=utcnow(),
        )
        return 1

    def _give_up_interrupted(self) -> None:
        timeouts = max(self.settings.outbound.outbound_timeout, self.settings.aistack_content.aistack_content_wechat_timeout * 4)
        stale_before = utcnow() - timedelta(seconds=timeouts + LEASE_MARGIN)
        with self.db.auto_commit():
            self.db.session.execute(
                update(ContentPublication)
                .where(ContentPublication.status == PublicationStatus.PUBLISHING, ContentPublication.updated_at < stale_before)
                .values(status=PublicationStatus.FAILED, reason=INTERRUPTED, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )

    def _record(self, publication_id: uuid.UUID, status: str, **values) -> None:
        with self.db.auto_commit():
            self.db.session.execute(
                update(ContentPublication)
                .where(ContentPublication.id == publication_id, ContentPublication.status == PublicationStatus.PUBLISHING)
                .values(status=status, updated_at=utcnow(), **values)
                .execution_options(synchronize_session=False)
            )
