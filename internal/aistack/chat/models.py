"""The chat center's records: a client's chat session (its own id, the platform conversation it
maps to, the context it saved) and each account's default chat app."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import JSONType, UTCDateTime, db, utcnow

SESSION_ID_LENGTH = 128


class AIStackChatSession(db.Model):
    """`session_id` is the client's name for the session, unique per account; it maps to one
    conversation of the platform, started with the session's first message."""

    __tablename__ = "aistack_chat_session"
    __table_args__ = (UniqueConstraint("account_id", "session_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str] = mapped_column(String(SESSION_ID_LENGTH))
    # The app the session talks to (None until the first message; cleared when the app is deleted).
    app_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("app.id", ondelete="SET NULL"), default=None)
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("conversation.id", ondelete="SET NULL"), default=None
    )
    # What the client saved with POST /api/context/save; given to the model on every turn.
    context: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # The document's `context.user_id`: the client's own name for its user, stored as given.
    user_id: Mapped[str] = mapped_column(String(SESSION_ID_LENGTH), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AIStackChatDefaultApp(db.Model):
    """The app a session without `context.app_id` talks to: one per account, made on first use."""

    __tablename__ = "aistack_chat_default_app"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    app_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("app.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
