"""The home page's assistant agent (llmops-api.md §13.1-13.4): chat (SSE), stop, the account's
assistant messages and clearing them; and the icon of the apps it creates."""

import uuid
from dataclasses import dataclass

from flask import url_for
from injector import inject

from internal.core.assistant import APP_ICON
from internal.middleware import AuthKind, current_account
from internal.schema.agent_chat import AgentChatReq
from internal.schema.common import Page
from internal.schema.conversation import GetConversationMessagesReq, MessageResp
from internal.service.assistant_agent_service import AssistantAgentService
from pkg.response import icon_response, sse_response, success_json, success_message

from .agent_events import agent_event_frames
from .conversation_handler import message_page_body
from .endpoint import endpoint

_TAGS = ("assistant agent",)


@inject
@dataclass
class AssistantAgentHandler:
    assistant_agent_service: AssistantAgentService

    @endpoint(body=AgentChatReq, raw_response="text/event-stream", tags=_TAGS)
    def assistant_agent_chat(self, body: AgentChatReq):
        """Chat with the platform's assistant in the account's assistant conversation; streams
        the agent's steps as the debug chat does (SSE, first a `ping` with the `task_id`)."""
        icon = url_for("llmops.get_assistant_agent_app_icon", _external=True)
        stream = self.assistant_agent_service.chat(current_account().id, body, icon)
        return sse_response(agent_event_frames(stream.events))

    @endpoint(tags=_TAGS)
    def stop_assistant_agent_chat(self, task_id: uuid.UUID):
        """Stop a running assistant answer: its stream ends with a `stop` event."""
        self.assistant_agent_service.stop(current_account().id, task_id)
        return success_message("停止辅助Agent会话成功")

    @endpoint(query=GetConversationMessagesReq, resp=Page[MessageResp], tags=_TAGS)
    def get_assistant_agent_messages_with_page(self, query: GetConversationMessagesReq):
        """The account's assistant messages, newest first; `created_at` (0 = none) is the cursor
        that keeps pages stable while new messages arrive."""
        page = self.assistant_agent_service.get_messages(current_account().id, query.created_at, query)
        return success_json(message_page_body(page))

    @endpoint(tags=_TAGS)
    def delete_assistant_agent_conversation(self):
        """Clear the assistant conversation and start a new, blank one."""
        self.assistant_agent_service.delete_conversation(current_account().id)
        return success_message("清空辅助Agent会话成功")

    @endpoint(auth=AuthKind.NONE, raw_response="image/*", tags=_TAGS)
    def get_assistant_agent_app_icon(self):
        """The icon of apps the assistant creates (unless ASSISTANT_AGENT_APP_ICON names another);
        public, since <img> tags send no token."""
        return icon_response(APP_ICON.content, APP_ICON.mimetype)
