"""Accounts and their links to OAuth providers."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import UTCDateTime, db, utcnow


class Account(db.Model):
    __tablename__ = "account"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(254), unique=True)
    avatar: Mapped[str] = mapped_column(String(2048), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_login_ip: Mapped[str] = mapped_column(String(64), default="")
    # Access tokens carry the version they were issued under; changing the password moves it on,
    # which refuses every token issued before (but the one that made the change).
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The account's conversation with the assistant agent (llmops-api.md §13); NULL: the next
    # assistant chat starts a new one.
    assistant_agent_conversation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccountOAuth(db.Model):
    __tablename__ = "account_oauth"
    __table_args__ = (UniqueConstraint("provider", "openid"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    openid: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
