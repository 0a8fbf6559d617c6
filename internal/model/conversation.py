"""Conversations with an app, their messages (one per round) and each message's agent steps."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, Numeric, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import JSONType, UTCDateTime, db, utcnow

DEFAULT_CONVERSATION_NAME = "New Conversation"


class InvokeFrom(StrEnum):
    """Where a conversation's messages come from (the channel of a chat)."""

    DEBUGGER = "debugger"
    WEB_APP = "web_app"
    SERVICE_API = "service_api"
    WECHAT = "wechat"
    ASSISTANT_AGENT = "assistant_agent"
    # AI Stack's chat center: an account chats with its own published apps through AI Stack's API.
    AISTACK = "aistack"


# The channels whose conversations and messages belong to a signed-in account (`created_by` is
# the account); open-API and WeChat ones belong to end users, the assistant's have endpoints of
# their own.
ACCOUNT_CHANNELS = (InvokeFrom.DEBUGGER, InvokeFrom.WEB_APP)


class MessageStatus:
    """How the run that produced a message ended (the agent runner's outcome, stored as is)."""

    NORMAL = "normal"
    STOP = "stop"
    TIMEOUT = "timeout"
    ERROR = "error"


class Conversation(db.Model):
    __tablename__ = "conversation"
    __table_args__ = (Index("ix_conversation_app_id_created_by", "app_id", "created_by"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # NULL for the assistant agent's conversations, which run on no app.
    app_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("app.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255), default=DEFAULT_CONVERSATION_NAME)
    # The long-term memory: a running summary of the conversation so far.
    summary: Mapped[str] = mapped_column(Text, default="")
    is_pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    invoke_from: Mapped[str] = mapped_column(String(32))
    # The account (debugger, web app) or end user (open API, WeChat) the conversation belongs to.
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    # Set (equal to `created_by`) when the conversation belongs to an end user, NULL for an account.
    end_user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("end_user.id", ondelete="CASCADE"), default=None, index=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Message(db.Model):
    __tablename__ = "message"
    __table_args__ = (
        Index("ix_message_conversation_id_created_at", "conversation_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # NULL for the assistant agent's messages (as their conversation's).
    app_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("app.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("conversation.id", ondelete="CASCADE"))
    invoke_from: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    end_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("end_user.id", ondelete="CASCADE"), default=None)
    query: Mapped[str] = mapped_column(Text, default="")
    image_urls: Mapped[list] = mapped_column(JSONType, default=list)
    answer: Mapped[str] = mapped_column(Text, default="")
    message_token_count: Mapped[int] = mapped_column(Integer, default=0)
    answer_token_count: Mapped[int] = mapped_column(Integer, default=0)
    total_token_count: Mapped[int] = mapped_column(Integer, default=0)
    total_price: Mapped[float] = mapped_column(Numeric(12, 7, asdecimal=False), default=0.0)
    # Seconds from the question to the end of the run.
    latency: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.NORMAL)
    error: Mapped[str] = mapped_column(Text, default="")
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MessageAgentThought(db.Model):
    """One step of the run that produced a message, in `position` order."""

    __tablename__ = "message_agent_thought"
    __table_args__ = (Index("ix_message_agent_thought_message_id_position", "message_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    app_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("app.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("conversation.id", ondelete="CASCADE"))
    message_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("message.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(32))
    thought: Mapped[str] = mapped_column(Text, default="")
    observation: Mapped[str] = mapped_column(Text, default="")
    tool: Mapped[str] = mapped_column(String(255), default="")
    tool_input: Mapped[dict] = mapped_column(JSONType, default=dict)
    total_token_count: Mapped[int] = mapped_column(Integer, default=0)
    total_price: Mapped[float] = mapped_column(Numeric(12, 7, asdecimal=False), default=0.0)
    latency: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
