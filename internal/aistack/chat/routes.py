"""The chat center's routes under its prefix (and on port 8020): chat, context, sessions, export."""

from dataclasses import dataclass

from injector import inject

from .handler import ChatCenterHandler


@inject
@dataclass
class ChatCenterRoutes:
    handler: ChatCenterHandler

    def routes(self) -> list[tuple]:
        h = self.handler
        return [
            ("POST", "/api/chat/message", h.chat_message),
            ("POST", "/api/chat/stream", h.chat_stream),
            ("GET", "/api/chat/export", h.export_chat),
            ("GET", "/api/chat/sessions", h.list_sessions),
            ("DELETE", "/api/chat/sessions/<string:session_id>", h.delete_session),
            ("POST", "/api/context/save", h.save_context),
            ("GET", "/api/context/<string:session_id>", h.get_context),
        ]
