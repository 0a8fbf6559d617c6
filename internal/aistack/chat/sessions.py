"""A caller's chat sessions: found by the client's session id within the account (another
account's session is not found), created on first use, and the context each one saves."""

import json
import uuid
from dataclasses import dataclass
from typing import Any

from injector import inject
from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from config import Settings
from internal.aistack.gateway.errors import invalid_input
from internal.aistack.gateway.listing import ListSpec, paginate
from internal.exception import NotFoundException
from internal.service.base_service import BaseService

from .models import AIStackChatSession
from .schemas import SessionResp

SESSION_NOT_FOUND = "会话不存在"

SESSION_LIST = ListSpec(
    name="ChatSession",
    sort={"created_at": AIStackChatSession.created_at, "updated_at": AIStackChatSession.updated_at},
    default_sort="updated_at",
    filters={"user_id": (AIStackChatSession.user_id, str)},
    date_column=AIStackChatSession.created_at,
)


def new_session_id() -> str:
    return f"session_{uuid.uuid4().hex}"


@inject
@dataclass
class ChatSessions(BaseService):
    settings: Settings

    def get(self, account_id: uuid.UUID, session_id: str) -> AIStackChatSession:
        session = self._find(account_id, session_id)
        if session is None:
            raise NotFoundException(SESSION_NOT_FOUND)
        return session

    def get_or_create(self, account_id: uuid.UUID, session_id: str) -> AIStackChatSession:
        """The account's session of that id, created (and committed) when it has none; two
        requests creating the same one at once end with one row (the unique constraint)."""
        session = self._find(account_id, session_id)
        if session is not None:
            return session
        try:
            with self.db.auto_commit():
                session = AIStackChatSession(account_id=account_id, session_id=session_id, context={}, user_id="")
                self.db.session.add(session)
        except IntegrityError:
            return self.get(account_id, session_id)
        return session

    def update_context(self, session: AIStackChatSession, context: dict[str, Any], replace: bool) -> None:
        """The session's context merged with (or replaced by) `context`, within the size limit;
        the caller commits. Merging: a key given as null is removed."""
        merged = {} if replace else dict(session.context or {})
        for key, value in context.items():
            if value is None and not replace:
                merged.pop(key, None)
            else:
                merged[key] = value
        limit = self.settings.aistack_chat.aistack_chat_context_max_bytes
        if len(json.dumps(merged, ensure_ascii=False).encode()) > limit:
            raise invalid_input("context", f"上下文过大，最多{limit}字节（JSON，UTF-8）")
        session.context = merged

    def save_context(self, account_id: uuid.UUID, session_id: str, context: dict[str, Any], replace: bool) -> AIStackChatSession:
        session = self.get_or_create(account_id, session_id)
        with self.db.auto_commit():
            self.update_context(session, context, replace)
        return session

    def page(self, account_id: uuid.UUID, query: BaseModel) -> tuple[list[AIStackChatSession], Any]:
        stmt = SESSION_LIST.apply(select(AIStackChatSession).where(AIStackChatSession.account_id == account_id), query)
        return paginate(self.db.session, stmt, query, tiebreak=AIStackChatSession.id)

    def delete(self, account_id: uuid.UUID, session_id: str) -> SessionResp:
        """The session and its context (answered as they were); the platform conversation it
        mapped to is kept (the console's own record of the account's chats)."""
        session = self.get(account_id, session_id)
        deleted = SessionResp.of(session)
        with self.db.auto_commit():
            self.db.session.execute(delete(AIStackChatSession).where(AIStackChatSession.id == session.id))
        return deleted

    def _find(self, account_id: uuid.UUID, session_id: str) -> AIStackChatSession | None:
        return self.db.session.scalar(
            select(AIStackChatSession).where(
                AIStackChatSession.account_id == account_id, AIStackChatSession.session_id == session_id
            )
        )
