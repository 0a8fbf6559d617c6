"""An app's WeChat official account: its credentials and, per WeChat user (openid), the end user
who chats and the state of that user's latest question."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import UTCDateTime, db, utcnow


class WechatConfig(db.Model):
    """Secrets are stored sealed (pkg.secret_box): a database dump yields no working credential."""

    __tablename__ = "wechat_config"

    app_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("app.id", ondelete="CASCADE"), primary_key=True)
    wechat_app_id: Mapped[str] = mapped_column(String(64), default="")
    wechat_app_secret_sealed: Mapped[str] = mapped_column(Text, default="")
    wechat_token: Mapped[str] = mapped_column(String(255), default="")
    # Safe mode's EncodingAESKey (beyond the contract); empty: plain-text mode only.
    wechat_encoding_aes_key_sealed: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WechatLatestStatus:
    """Where the user's latest question stands, for the "1" command."""

    NONE = ""
    RUNNING = "running"
    DONE = "done"
    # Being sent as a customer-service message; back to DONE with what could not be sent.
    SENDING = "sending"
    DELIVERED = "delivered"


class WechatEndUser(db.Model):
    """One WeChat user of one app's account. `end_user_id` and `conversation_id` are plain
    columns: the end user and conversation rows belong to the chat service, which may delete them."""

    __tablename__ = "wechat_end_user"
    __table_args__ = (UniqueConstraint("app_id", "openid"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    app_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("app.id", ondelete="CASCADE"))
    openid: Mapped[str] = mapped_column(String(128))
    end_user_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    # The latest question (its dedupe key), how its run stands, and what of its answer (or of
    # the failure notice) is not delivered yet.
    latest_msg_key: Mapped[str] = mapped_column(String(160), default="")
    latest_status: Mapped[str] = mapped_column(String(16), default=WechatLatestStatus.NONE)
    latest_answer: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
