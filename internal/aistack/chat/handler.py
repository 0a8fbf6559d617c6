"""The chat center's routes: thin doors over its services (parse, one call, the envelope)."""

from dataclasses import dataclass

from flask import Response, url_for
from injector import inject

from config import Settings
from internal.aistack.gateway.auth import current_account_id
from internal.aistack.gateway.endpoint import aistack_endpoint
from internal.aistack.gateway.envelope import success
from pkg.response import sse_response

from .events import chat_frames
from .export import ChatExportService
from .schemas import ChatMessageReq, ChatMessageResp, ChatStreamReq, ContextResp, ContextSaveReq, ExportQuery, SessionResp
from .service import ChatCenterService
from .sessions import SESSION_LIST, ChatSessions

SYSTEM = "chat"


@inject
@dataclass
class ChatCenterHandler:
    settings: Settings
    chat_center_service: ChatCenterService
    sessions: ChatSessions
    export_service: ChatExportService

    def _app_icon(self) -> str:
        """The icon of the default app made for an account: the assistant agent's."""
        return self.settings.assistant_agent.assistant_agent_app_icon or url_for(
            "llmops.get_assistant_agent_app_icon", _external=True
        )

    @aistack_endpoint(SYSTEM, body=ChatMessageReq, resp=ChatMessageResp, extra_errors=(503,), tags=("chat",))
    def chat_message(self, body: ChatMessageReq):
        """Send a message in a session (absent session_id: a new session) and wait for the whole
        answer of the app named in context.app_id, else the session's, else the account's default."""
        return success(self.chat_center_service.message(current_account_id(), body, self._app_icon()))

    @aistack_endpoint(SYSTEM, body=ChatStreamReq, raw_response="text/event-stream", tags=("chat",))
    def chat_stream(self, body: ChatStreamReq):
        """The same turn streamed as server-sent events: ping, delta {content}, step, then done
        {response, context, timestamp} or error {code, message, context}. Refusals (bad input,
        unknown app) come as the JSON error envelope before a stream opens."""
        return sse_response(chat_frames(self.chat_center_service.stream(current_account_id(), body, self._app_icon())))

    @aistack_endpoint(SYSTEM, body=ContextSaveReq, resp=ContextResp, tags=("context",))
    def save_context(self, body: ContextSaveReq):
        """Save a session's context (the session is created if missing): merged into the saved
        one by default (null removes a key), or replacing it with mode=replace."""
        session = self.sessions.save_context(current_account_id(), body.session_id, body.context, body.mode == "replace")
        return success(ContextResp.of(session))

    @aistack_endpoint(SYSTEM, resp=ContextResp, tags=("context",))
    def get_context(self, session_id: str):
        """A session's saved context."""
        return success(ContextResp.of(self.sessions.get(current_account_id(), session_id)))

    @aistack_endpoint(SYSTEM, listing=SESSION_LIST, resp=SessionResp, tags=("sessions",))
    def list_sessions(self, query):
        """The caller's chat sessions (page, page_size, sort=created_at|updated_at, filter[user_id],
        filter[date_from]/filter[date_to] on created_at)."""
        sessions, pagination = self.sessions.page(current_account_id(), query)
        return success([SessionResp.of(s) for s in sessions], pagination=pagination)

    @aistack_endpoint(SYSTEM, resp=SessionResp, tags=("sessions",))
    def delete_session(self, session_id: str):
        """Delete a session and its saved context (the platform conversation stays in the console)."""
        return success(self.sessions.delete(current_account_id(), session_id))

    @aistack_endpoint(SYSTEM, query=ExportQuery, raw_response="application/octet-stream", tags=("export",))
    def export_chat(self, query: ExportQuery):
        """Download a session's conversation as json, markdown, html or pdf."""
        exported = self.export_service.export(current_account_id(), query.session_id, query.format)
        response = Response(exported.content, mimetype=exported.mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        return response
