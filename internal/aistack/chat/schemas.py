"""Requests and answers of the chat center, as the document writes them ("OpenWebUI交互中心")."""

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from internal.aistack.gateway.envelope import IsoTime, RowResp
from internal.schema.agent_chat import Query
from internal.schema.common import RequestModel

from .models import SESSION_ID_LENGTH

# A client's session id: it appears in paths (/api/context/{session_id}) and file names.
SessionId = Annotated[str, StringConstraints(min_length=1, max_length=SESSION_ID_LENGTH, pattern=r"^[A-Za-z0-9_.:@-]+$")]
UserId = Annotated[str, StringConstraints(strip_whitespace=True, max_length=SESSION_ID_LENGTH)]
# A session's saved context as answered: {} when none was saved.
SavedContext = Annotated[dict[str, Any], BeforeValidator(lambda context: context or {})]


class MessageContext(BaseModel):
    """`context` of a message: the session (absent: a new one), the client's user, the app;
    any other key is saved into the session's context (and so reaches the model)."""

    model_config = ConfigDict(extra="allow")

    session_id: SessionId | None = None
    user_id: UserId | None = None
    # One of the caller's published apps; absent: the session's app, else the account's default.
    app_id: uuid.UUID | None = None

    def extra_keys(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class ChatMessageReq(RequestModel):
    message: Query
    context: MessageContext = Field(default_factory=MessageContext)


class ChatStreamReq(ChatMessageReq):
    # The document sends `stream: true`; this route streams either way.
    stream: bool = True


class ShownReminder(BaseModel):
    """A reminder that fired since the session's last reply, shown by this one."""

    reminder_id: str
    title: str
    content: str
    remind_at: str | None
    fired_at: str | None
    session_id: str | None


class ReplyContext(BaseModel):
    session_id: str
    user_id: str
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    app_id: uuid.UUID
    # The reply's text starts with these (one line each), and the model was told about them.
    reminders: list[ShownReminder] = []


class ChatMessageResp(BaseModel):
    response: str
    context: ReplyContext
    timestamp: str = Field(examples=["2025-11-07T10:30:00Z"])


class ContextSaveReq(RequestModel):
    session_id: SessionId
    context: dict[str, Any]
    # merge: the keys given replace those of the saved context (a key set to null is removed);
    # replace: the saved context becomes exactly `context`.
    mode: Literal["merge", "replace"] = "merge"


class ContextResp(RowResp):
    session_id: str
    context: SavedContext
    updated_at: IsoTime


class SessionResp(RowResp):
    session_id: str
    user_id: str
    app_id: uuid.UUID | None
    conversation_id: uuid.UUID | None
    context: SavedContext
    created_at: IsoTime
    updated_at: IsoTime


class ExportQuery(RequestModel):
    session_id: SessionId
    format: Literal["json", "markdown", "pdf", "html"] = "json"
