"""Reminders of the chat center and the webhook an account has them POSTed to."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import UTCDateTime, db, utcnow


class ReminderStatus:
    PENDING = "pending"
    FIRED = "fired"


class DeliveryStatus:
    """Where the webhook POST of a fired reminder stands."""

    NONE = "none"  # no webhook to deliver to
    PENDING = "pending"  # due at next_delivery_at (the first try, or a retry after a failure)
    DELIVERED = "delivered"
    FAILED = "failed"  # every attempt failed


class Reminder(db.Model):
    __tablename__ = "aistack_chat_reminder"
    __table_args__ = (
        Index("ix_aistack_chat_reminder_due", "status", "remind_at"),
        Index("ix_aistack_chat_reminder_delivery", "delivery_status", "next_delivery_at"),
        Index("ix_aistack_chat_reminder_unshown", "account_id", "status", "shown_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text, default="")
    remind_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The chat session (client session_id) whose next reply shows it; None: the account's next reply.
    session_id: Mapped[str | None] = mapped_column(String(255), default=None)
    # Where this reminder is POSTed instead of the account's webhook; None: the account's.
    webhook_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    status: Mapped[str] = mapped_column(String(16), default=lambda: ReminderStatus.PENDING)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    delivery_status: Mapped[str] = mapped_column(String(16), default=lambda: DeliveryStatus.NONE)
    delivery_attempts: Mapped[int] = mapped_column(Integer, default=lambda: 0)
    delivery_last_error: Mapped[str] = mapped_column(Text, default="")
    # When the next delivery try is due; while one is under way, the end of its lease.
    next_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReminderWebhook(db.Model):
    """The account's webhook for fired reminders; the signing secret is stored sealed (pkg.secret_box)."""

    __tablename__ = "aistack_chat_reminder_webhook"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    secret_sealed: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
