"""llmops-api.md §1.9, §1.10, §1.13, §1.14: an app's debug conversation, its long-term memory and messages."""

import uuid
from dataclasses import dataclass

from injector import inject

from internal.middleware import current_account
from internal.schema.common import Page
from internal.schema.conversation import GetDebugMessagesReq, MessageResp, SummaryResp, UpdateSummaryReq
from internal.service.conversation_service import DebugConversationService
from pkg.response import success_json, success_message

from .conversation_handler import message_page_body
from .endpoint import endpoint

_TAGS = ("app debugging",)


@inject
@dataclass
class DebugConversationHandler:
    debug_conversation_service: DebugConversationService

    @endpoint(resp=SummaryResp, tags=_TAGS)
    def get_debug_conversation_summary(self, app_id: uuid.UUID):
        """The long-term memory of the app's debug conversation ("" before there is one); an
        error when the draft has long-term memory off."""
        summary = self.debug_conversation_service.get_summary(current_account().id, app_id)
        return success_json({"summary": summary})

    @endpoint(body=UpdateSummaryReq, tags=_TAGS)
    def update_debug_conversation_summary(self, app_id: uuid.UUID, body: UpdateSummaryReq):
        """Replace the debug conversation's long-term memory, starting the conversation if there
        is none; an error when the draft has long-term memory off."""
        self.debug_conversation_service.update_summary(current_account().id, app_id, body.summary)
        return success_message("更新AI应用长记忆成功")

    @endpoint(query=GetDebugMessagesReq, resp=Page[MessageResp], tags=_TAGS)
    def get_debug_conversation_messages_with_page(self, app_id: uuid.UUID, query: GetDebugMessagesReq):
        """The debug conversation's messages, newest first; `created_at` is the cursor (default:
        now) that keeps pages stable while new messages arrive."""
        page = self.debug_conversation_service.get_messages(current_account().id, app_id, query.created_at, query)
        return success_json(message_page_body(page))

    @endpoint(tags=_TAGS)
    def delete_debug_conversation(self, app_id: uuid.UUID):
        """Clear the debug conversation; the next debug chat starts a new one."""
        self.debug_conversation_service.delete_debug_conversation(current_account().id, app_id)
        return success_message("清空应用调试会话记录成功")
