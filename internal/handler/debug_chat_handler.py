"""Debug chat with an app's draft (llmops-api.md §1.11, §1.12): the agent's events streamed as
server-sent events, and stopping a running turn."""

import uuid
from dataclasses import dataclass

from injector import inject

from internal.middleware import current_account
from internal.schema.agent_chat import AgentChatReq
from internal.service.debug_chat_service import DebugChatService
from pkg.response import sse_response, success_message

from .agent_events import agent_event_frames
from .endpoint import endpoint

_TAGS = ("app debugging",)


@inject
@dataclass
class DebugChatHandler:
    debug_chat_service: DebugChatService

    @endpoint(body=AgentChatReq, raw_response="text/event-stream", tags=_TAGS)
    def debug_chat(self, app_id: uuid.UUID, body: AgentChatReq):
        """Chat with the app's draft; streams the agent's steps (SSE). The first event, a `ping`,
        carries the `task_id` that stops the run."""
        stream = self.debug_chat_service.chat(current_account().id, app_id, body)
        return sse_response(agent_event_frames(stream.events))

    @endpoint(tags=_TAGS)
    def stop_debug_chat(self, app_id: uuid.UUID, task_id: uuid.UUID):
        """Stop a debug run: its stream ends with a `stop` event and the message is stored as stopped."""
        self.debug_chat_service.stop(current_account().id, app_id, task_id)
        return success_message("停止应用会话调试成功")
