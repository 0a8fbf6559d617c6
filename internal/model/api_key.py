"""API keys that authenticate the open API.

The key itself is never stored in the clear: `key_hash` (HMAC-SHA256 with a server secret,
unique and indexed) finds a presented key in one query, and `encrypted_key` (SecretBox) gives
the owner's key list its value back. A database dump yields neither working keys nor a way to
test guesses offline.
"""

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import UTCDateTime, db, utcnow


class ApiKey(db.Model):
    __tablename__ = "api_key"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    encrypted_key: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    remark: Mapped[str] = mapped_column(String(255), default="")
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
