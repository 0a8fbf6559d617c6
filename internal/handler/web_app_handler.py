"""WebApps (llmops-api.md §15.1-15.3, §5.1): a published app behind its WebApp token, for any
signed-in account; chats stream the agent's events on the published config."""

import uuid
from dataclasses import dataclass

from injector import inject

from internal.middleware import current_account
from internal.schema.web_app import GetWebAppConversationsReq, WebAppChatReq, WebAppConversationResp, WebAppResp
from internal.service.web_app_service import WebAppService
from pkg.response import sse_response, success_json, success_message

from .debug_chat_handler import agent_event_frames
from .endpoint import endpoint

_TAGS = ("web apps",)


@inject
@dataclass
class WebAppHandler:
    web_app_service: WebAppService

    @endpoint(resp=WebAppResp, tags=_TAGS)
    def get_web_app(self, token: str):
        """The published app behind the token with the config fields its front end uses; any
        signed-in account may read it."""
        return success_json(WebAppResp.render(self.web_app_service.get_web_app(token)))

    @endpoint(body=WebAppChatReq, raw_response="text/event-stream", tags=_TAGS)
    def chat(self, token: str, body: WebAppChatReq):
        """Chat with the published app; streams the agent's steps (SSE). An empty or absent
        `conversation_id` starts a conversation, whose id every event carries."""
        stream = self.web_app_service.chat(token, current_account().id, body)
        return sse_response(agent_event_frames(stream.events))

    @endpoint(tags=_TAGS)
    def stop_chat(self, token: str, task_id: uuid.UUID):
        """Stop the caller's WebApp run: its stream ends with a `stop` event."""
        self.web_app_service.stop(token, current_account().id, task_id)
        return success_message("停止WebApp会话成功")

    @endpoint(query=GetWebAppConversationsReq, resp=list[WebAppConversationResp], tags=_TAGS)
    def get_conversations(self, token: str, query: GetWebAppConversationsReq):
        """The caller's conversations with the WebApp, pinned (`is_pinned=true`) or unpinned; not paginated."""
        conversations = self.web_app_service.list_conversations(token, current_account().id, query.pinned)
        return success_json(WebAppConversationResp.render_many(conversations))
