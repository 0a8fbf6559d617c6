"""llmops-api.md §5.2-5.7: a conversation's messages, deleting it or one of its messages, its name and pin."""

import uuid
from dataclasses import dataclass

from injector import inject

from internal.middleware import current_account
from internal.schema.common import Page
from internal.schema.conversation import (
    ConversationNameResp,
    GetConversationMessagesReq,
    MessageResp,
    UpdateConversationIsPinnedReq,
    UpdateConversationNameReq,
)
from internal.service.conversation_service import ConversationService, MessagePage
from pkg.paginator import page_body
from pkg.response import success_json, success_message

from .endpoint import endpoint

_TAGS = ("conversations",)


def message_page_body(page: MessagePage) -> dict:
    items = [MessageResp.render_with_thoughts(message, thoughts) for message, thoughts in page.items]
    return page_body(items, page.paginator)


@inject
@dataclass
class ConversationHandler:
    conversation_service: ConversationService

    @endpoint(query=GetConversationMessagesReq, resp=Page[MessageResp], tags=_TAGS)
    def get_conversation_messages_with_page(self, conversation_id: uuid.UUID, query: GetConversationMessagesReq):
        """The conversation's messages, newest first; `created_at` (0 = none) is the cursor
        that keeps pages stable while new messages arrive."""
        page = self.conversation_service.get_messages(current_account().id, conversation_id, query.created_at, query)
        return success_json(message_page_body(page))

    @endpoint(tags=_TAGS)
    def delete_conversation(self, conversation_id: uuid.UUID):
        """Delete the conversation and all its messages."""
        self.conversation_service.delete(current_account().id, conversation_id)
        return success_message("删除会话成功")

    @endpoint(tags=_TAGS)
    def delete_message(self, conversation_id: uuid.UUID, message_id: uuid.UUID):
        """Delete one message of the conversation (soft delete)."""
        self.conversation_service.delete_message(current_account().id, conversation_id, message_id)
        return success_message("删除会话消息成功")

    @endpoint(resp=ConversationNameResp, tags=_TAGS)
    def get_conversation_name(self, conversation_id: uuid.UUID):
        """The conversation's name: `New Conversation` until one is generated after the first reply."""
        return success_json({"name": self.conversation_service.get_name(current_account().id, conversation_id)})

    @endpoint(body=UpdateConversationNameReq, tags=_TAGS)
    def update_conversation_name(self, conversation_id: uuid.UUID, body: UpdateConversationNameReq):
        """Rename the conversation (at most 100 characters)."""
        self.conversation_service.update_name(current_account().id, conversation_id, body.name)
        return success_message("修改会话名称成功")

    @endpoint(body=UpdateConversationIsPinnedReq, tags=_TAGS)
    def update_conversation_is_pinned(self, conversation_id: uuid.UUID, body: UpdateConversationIsPinnedReq):
        """Pin or unpin the conversation."""
        self.conversation_service.update_is_pinned(current_account().id, conversation_id, body.is_pinned)
        return success_message("修改会话置顶状态成功")
