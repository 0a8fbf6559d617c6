"""A chat center turn: the session (the client's id, or a new one) picks the app and the
conversation, and the platform's chat service runs the turn on its agent runtime, on the
`aistack` channel: the caller is the account itself (as in the debugger and web apps, not an
end user as in the open API), talking to one of its own apps' published configuration (as
every channel but the debugger). A channel of its own keeps these conversations out of the
console's debugger and web-app lists."""

import uuid
from dataclasses import dataclass

from injector import inject
from sqlalchemy import update

from internal.aistack.gateway.envelope import ErrorCode, now_iso
from internal.aistack.gateway.errors import AIStackException, ServiceUnavailableException
from internal.model import App, Conversation
from internal.model.app import AppStatus
from internal.model.conversation import MessageStatus
from internal.service.app_base_service import AppBaseService
from internal.service.chat_service import AgentStream, ChatCaller, ChatRequest, ChatService, InvokeFrom

from .default_app import DefaultChatApp
from .models import AIStackChatSession
from .reminders.service import FiredReminder, ReminderService, reminders_notice
from .schemas import ChatMessageReq, ChatMessageResp, ReplyContext, ShownReminder
from .session_notes import SessionNotes
from .sessions import ChatSessions, new_session_id

NOT_PUBLISHED = "该应用未发布，请发布后重试"


@dataclass
class StartedTurn:
    """A turn whose run has started: its events, and the context the reply names."""

    stream: AgentStream
    context: ReplyContext
    # The lines the reply starts with: the reminders it shows ("" when none).
    notice: str = ""


def with_notice(notice: str, answer: str) -> str:
    """A reply's text: the reminders it shows, then the model's answer."""
    return f"{notice}\n\n{answer}" if notice else answer


@inject
@dataclass
class ChatCenterService(AppBaseService):
    chat_service: ChatService
    sessions: ChatSessions
    default_app: DefaultChatApp
    session_notes: SessionNotes
    reminder_service: ReminderService

    def stream(self, account_id: uuid.UUID, req: ChatMessageReq, app_icon: str) -> StartedTurn:
        """Starts the turn; everything that can be refused is refused before it starts."""
        session, chat_request, reminders = self._chat_request(account_id, req, app_icon)
        stream = self.chat_service.stream(chat_request)
        context = self._bind(session, chat_request.app_id, stream.conversation_id, stream.message_id, reminders)
        return StartedTurn(stream, context, reminders_notice(reminders))

    def message(self, account_id: uuid.UUID, req: ChatMessageReq, app_icon: str) -> ChatMessageResp:
        """The whole answer (waits for the run, at most AGENT_TIMEOUT); a run that failed or
        ran out of time is SERVICE_UNAVAILABLE, its message stored as such."""
        session, chat_request, reminders = self._chat_request(account_id, req, app_icon)
        result = self.chat_service.blocking(chat_request)
        context = self._bind(session, chat_request.app_id, result.conversation_id, result.id, reminders)
        if result.status in (MessageStatus.ERROR, MessageStatus.TIMEOUT):
            raise ServiceUnavailableException(
                f"模型未能完成回复：{result.error or '未知错误'}",
                {"message_id": str(result.id), "session_id": context.session_id},
            )
        return ChatMessageResp(response=with_notice(reminders_notice(reminders), result.answer), context=context, timestamp=now_iso())

    def _chat_request(
        self, account_id: uuid.UUID, req: ChatMessageReq, app_icon: str
    ) -> tuple[AIStackChatSession, ChatRequest, list[FiredReminder]]:
        session, app_id = self._session_and_app(account_id, req, app_icon)
        # Taken (marked shown) as the turn starts: a reply that then fails has still shown them.
        reminders = self.reminder_service.take_for_reply(account_id, session.session_id)
        request = ChatRequest(
            app_id=app_id,
            invoke_from=InvokeFrom.AISTACK,
            caller=ChatCaller(account_id=account_id),
            query=req.message,
            conversation_id=self._live_conversation(session, app_id),
            notes=self.session_notes.for_turn(session, reminders),
        )
        return session, request, reminders

    # --- the turn's session, app and conversation ---------------------------------------------

    def _session_and_app(self, account_id: uuid.UUID, req: ChatMessageReq, app_icon: str) -> tuple[AIStackChatSession, uuid.UUID]:
        context = req.context
        if context.app_id is not None:
            app = self.get_app(account_id, context.app_id)
            if app.status != AppStatus.PUBLISHED:
                raise AIStackException(ErrorCode.INVALID_INPUT, NOT_PUBLISHED, 400, {"context.app_id": NOT_PUBLISHED})
            app_id = app.id
        else:
            app_id = None
        session = self.sessions.get_or_create(account_id, context.session_id or new_session_id())
        if app_id is None:
            app_id = self._session_app(account_id, session) or self.default_app.app_id(account_id, app_icon)
        with self.db.auto_commit():
            if context.user_id is not None:
                session.user_id = context.user_id
            extra = context.extra_keys()
            if extra:
                self.sessions.update_context(session, extra, replace=False)
        return session, app_id

    def _session_app(self, account_id: uuid.UUID, session: AIStackChatSession) -> uuid.UUID | None:
        """The app the session talked to, while it is still one of the account's published apps."""
        if session.app_id is None:
            return None
        app = self.db.session.get(App, session.app_id)
        if app is None or app.account_id != account_id or app.status != AppStatus.PUBLISHED:
            return None
        return app.id

    def _live_conversation(self, session: AIStackChatSession, app_id: uuid.UUID) -> uuid.UUID | None:
        """The session's conversation on this app, if it still exists; else a new one starts."""
        if session.conversation_id is None or session.app_id != app_id:
            return None
        conversation = self.db.session.get(Conversation, session.conversation_id)
        if conversation is None or conversation.is_deleted or conversation.app_id != app_id:
            return None
        return conversation.id

    def _bind(
        self,
        session: AIStackChatSession,
        app_id: uuid.UUID,
        conversation_id: uuid.UUID,
        message_id: uuid.UUID,
        reminders: list[FiredReminder],
    ) -> ReplyContext:
        """The session continues in the turn's conversation from now on; the reply's context."""
        context = ReplyContext(
            session_id=session.session_id,
            user_id=session.user_id,
            conversation_id=conversation_id,
            message_id=message_id,
            app_id=app_id,
            reminders=[ShownReminder(**r.as_dict()) for r in reminders],
        )
        with self.db.auto_commit():
            self.db.session.execute(
                update(AIStackChatSession)
                .where(AIStackChatSession.id == session.id)
                .values(app_id=app_id, conversation_id=conversation_id)
            )
        return context
