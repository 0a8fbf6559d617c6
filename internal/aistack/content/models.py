"""Publications of the content creation system: what was asked to go out, where, when, and how
it went (scheduled → publishing → published | failed, or cancelled before it ran)."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import JSONType, UTCDateTime, db, utcnow


class PublicationStatus:
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"  # claimed by one sweep, its adapter call under way
    PUBLISHED = "published"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ContentPublication(db.Model):
    __tablename__ = "aistack_content_publication"
    __table_args__ = (Index("ix_aistack_content_publication_due", "status", "scheduled_time"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    # wechat (the official account of `app_id`) or webhook (a POST to `webhook_url`).
    channel: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(Text)
    images: Mapped[list] = mapped_column(JSONType, default=list)
    app_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("app.id", ondelete="SET NULL"), default=None)
    webhook_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    thumb_media_id: Mapped[str] = mapped_column(String(128), default="")
    status: Mapped[str] = mapped_column(String(16), default=lambda: PublicationStatus.SCHEDULED)
    reason: Mapped[str] = mapped_column(Text, default="")
    scheduled_time: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=lambda: 0)
    # The platform's id of what went out (WeChat's publish_id, a webhook receiver's `id`).
    external_id: Mapped[str] = mapped_column(String(255), default="")
    # Figures an adapter reported ({"views": 120, "likes": 8, ...}); empty when none did.
    engagement: Mapped[dict] = mapped_column(JSONType, default=dict)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
