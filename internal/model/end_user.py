"""End users: callers of a published app who are not accounts (open API end users, WeChat
openids), each scoped to one app."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import UTCDateTime, db, utcnow


class EndUser(db.Model):
    __tablename__ = "end_user"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    app_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("app.id", ondelete="CASCADE"), index=True)
    # The app owner's account: an end user is one of that account's audience.
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
