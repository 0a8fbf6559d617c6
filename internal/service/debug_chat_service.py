"""Debugging an app: chatting with its draft in the app's debug conversation (llmops-api.md §1.11,
§1.12), a thin adapter over the chat service."""

import uuid
from dataclasses import dataclass

from injector import inject

from internal.exception import NotFoundException
from internal.model import App, Conversation
from internal.schema.agent_chat import AgentChatReq

from .app_base_service import AppBaseService
from .chat_service import AgentStream, ChatCaller, ChatRequest, ChatService, InvokeFrom

TASK_NOT_FOUND = "该任务不存在或已结束"


@inject
@dataclass
class DebugChatService(AppBaseService):
    chat_service: ChatService

    def chat(self, account_id: uuid.UUID, app_id: uuid.UUID, req: AgentChatReq) -> AgentStream:
        """A turn in the app's debug conversation (started when the app has none)."""
        return self.chat_service.stream(
            ChatRequest(
                app_id=app_id,
                invoke_from=InvokeFrom.DEBUGGER,
                caller=ChatCaller(account_id=account_id),
                query=req.query,
                image_urls=list(req.image_urls),
            )
        )

    def stop(self, account_id: uuid.UUID, app_id: uuid.UUID, task_id: uuid.UUID) -> None:
        self.get_app(account_id, app_id)
        if not self.chat_service.stop(task_id, ChatCaller(account_id=account_id)):
            raise NotFoundException(TASK_NOT_FOUND)

    def debug_conversation(self, app: App, create: bool) -> Conversation | None:
        """The app's current debug conversation; with `create`, a new one when it has none."""
        if app.debug_conversation_id is not None:
            conversation = self.db.session.get(Conversation, app.debug_conversation_id)
            if conversation is not None and not conversation.is_deleted:
                return conversation
        if not create:
            return None
        return self.chat_service.new_conversation(app.id, InvokeFrom.DEBUGGER, ChatCaller(account_id=app.account_id))
