"""Conversations as their owner sees them: messages page by page, deleting, renaming, pinning
(llmops-api.md §5.2-5.7), and an app's debug conversation (§1.9, §1.10, §1.13, §1.14)."""

import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from injector import inject
from sqlalchemy import select, update

from internal.exception import FailException, NotFoundException
from internal.model import App, Conversation, Message, MessageAgentThought
from internal.model.app import AppConfigKind
from internal.model.conversation import ACCOUNT_CHANNELS, InvokeFrom
from pkg.paginator import PageReq, Paginator, paginate

from .app_base_service import AppBaseService
from .app_config_service import AppConfigService
from .base_service import BaseService
from .chat_service import CONVERSATION_NOT_FOUND, point_debug_conversation
from .debug_chat_service import DebugChatService

MESSAGE_NOT_FOUND = "该会话消息不存在或已被删除"
LONG_TERM_MEMORY_DISABLED = "该应用并未开启长记忆，无法获取或更新长记忆"


@dataclass
class MessagePage:
    """A page of messages, newest first, each with its steps ascending by position."""

    items: list[tuple[Message, list[MessageAgentThought]]]
    paginator: Paginator


@inject
@dataclass
class ConversationService(BaseService):
    def get_conversation(self, account_id: uuid.UUID, conversation_id: uuid.UUID) -> Conversation:
        """The one ownership check of llmops-api.md §5.x: missing, deleted and foreign look the same."""
        conversation = self.db.session.get(Conversation, conversation_id)
        if (
            conversation is None
            or conversation.is_deleted
            or conversation.created_by != account_id
            or conversation.invoke_from not in ACCOUNT_CHANNELS
        ):
            raise NotFoundException(CONVERSATION_NOT_FOUND)
        return conversation

    def get_own_message(
        self,
        account_id: uuid.UUID,
        message_id: uuid.UUID,
        not_found: str = MESSAGE_NOT_FOUND,
        more_channels: tuple[str, ...] = (),
    ) -> Message:
        """A non-deleted message of the account's own debug, web app or assistant conversations
        (the rule of §8.2 and §16.2), or of `more_channels`; missing, deleted and foreign look
        the same."""
        message = self.db.session.scalar(
            select(Message).where(
                Message.id == message_id,
                Message.created_by == account_id,
                Message.invoke_from.in_((*ACCOUNT_CHANNELS, InvokeFrom.ASSISTANT_AGENT, *more_channels)),
                Message.is_deleted.is_(False),
            )
        )
        if message is None:
            raise NotFoundException(not_found)
        return message

    def get_messages(
        self, account_id: uuid.UUID, conversation_id: uuid.UUID, cursor: int, req: PageReq
    ) -> MessagePage:
        conversation = self.get_conversation(account_id, conversation_id)
        return self.message_page(conversation.id, cursor or None, req)

    def delete(self, account_id: uuid.UUID, conversation_id: uuid.UUID) -> None:
        """Soft-deletes the conversation and its messages; an app whose debug conversation it
        was starts a new one on its next debug chat."""
        conversation = self.get_conversation(account_id, conversation_id)
        with self.db.auto_commit():
            conversation.is_deleted = True
            self.db.session.execute(
                update(Message).where(Message.conversation_id == conversation.id).values(is_deleted=True)
            )
            self.db.session.execute(point_debug_conversation(App.debug_conversation_id == conversation.id, None))

    def delete_message(self, account_id: uuid.UUID, conversation_id: uuid.UUID, message_id: uuid.UUID) -> None:
        conversation = self.get_conversation(account_id, conversation_id)
        message = self.db.session.get(Message, message_id)
        if message is None or message.is_deleted or message.conversation_id != conversation.id:
            raise NotFoundException(MESSAGE_NOT_FOUND)
        with self.db.auto_commit():
            message.is_deleted = True

    def get_name(self, account_id: uuid.UUID, conversation_id: uuid.UUID) -> str:
        return self.get_conversation(account_id, conversation_id).name

    def update_name(self, account_id: uuid.UUID, conversation_id: uuid.UUID, name: str) -> None:
        conversation = self.get_conversation(account_id, conversation_id)
        with self.db.auto_commit():
            conversation.name = name

    def update_is_pinned(self, account_id: uuid.UUID, conversation_id: uuid.UUID, is_pinned: bool) -> None:
        conversation = self.get_conversation(account_id, conversation_id)
        with self.db.auto_commit():
            conversation.is_pinned = is_pinned

    def message_page(self, conversation_id: uuid.UUID, cursor: int | None, req: PageReq) -> MessagePage:
        """One page of a conversation's messages, newest first.

        The cursor keeps pages stable while new messages arrive. The API shows whole seconds but
        stores fractions, so a cursor taken from a shown `created_at` covers its whole second.
        Every step of the page's messages is loaded with one query.
        """
        stmt = select(Message).where(Message.conversation_id == conversation_id, Message.is_deleted.is_(False))
        if cursor is not None:
            stmt = stmt.where(Message.created_at < datetime.fromtimestamp(cursor + 1, UTC))
        stmt = stmt.order_by(Message.created_at.desc(), Message.id.desc())
        messages, paginator = paginate(self.db.session, stmt, req)

        thoughts: dict[uuid.UUID, list[MessageAgentThought]] = defaultdict(list)
        if messages:
            rows = self.db.session.scalars(
                select(MessageAgentThought)
                .where(MessageAgentThought.message_id.in_([message.id for message in messages]))
                .order_by(MessageAgentThought.position)
            )
            for thought in rows:
                thoughts[thought.message_id].append(thought)
        return MessagePage([(message, thoughts[message.id]) for message in messages], paginator)


@inject
@dataclass
class DebugConversationService(AppBaseService):
    """The app's debug conversation, reached through the app (the caller's, else not_found)."""

    app_config_service: AppConfigService
    debug_chat_service: DebugChatService
    conversation_service: ConversationService

    def get_summary(self, account_id: uuid.UUID, app_id: uuid.UUID) -> str:
        app = self._app_with_long_term_memory(account_id, app_id)
        conversation = self.debug_chat_service.debug_conversation(app, create=False)
        return conversation.summary if conversation is not None else ""

    def update_summary(self, account_id: uuid.UUID, app_id: uuid.UUID, summary: str) -> None:
        app = self._app_with_long_term_memory(account_id, app_id)
        conversation = self.debug_chat_service.debug_conversation(app, create=True)
        with self.db.auto_commit():
            conversation.summary = summary

    def get_messages(self, account_id: uuid.UUID, app_id: uuid.UUID, cursor: int | None, req: PageReq) -> MessagePage:
        """Without a cursor the page counts back from now; an app without a debug conversation
        has an empty page."""
        app = self.get_app(account_id, app_id)
        conversation = self.debug_chat_service.debug_conversation(app, create=False)
        if conversation is None:
            empty = Paginator(current_page=req.current_page, page_size=req.page_size, total_page=0, total_record=0)
            return MessagePage([], empty)
        if cursor is None:
            cursor = int(time.time())
        return self.conversation_service.message_page(conversation.id, cursor or None, req)

    def delete_debug_conversation(self, account_id: uuid.UUID, app_id: uuid.UUID) -> None:
        """The next debug chat starts a new conversation."""
        app = self.get_app(account_id, app_id)
        conversation = self.debug_chat_service.debug_conversation(app, create=False)
        with self.db.auto_commit():
            if conversation is not None:
                conversation.is_deleted = True
            self.db.session.execute(point_debug_conversation(App.id == app.id, None))

    def _app_with_long_term_memory(self, account_id: uuid.UUID, app_id: uuid.UUID) -> App:
        app = self.get_app(account_id, app_id)
        draft = self.app_config_service.get_config(app.id, AppConfigKind.DRAFT)
        if not (draft.long_term_memory or {}).get("enable"):
            raise FailException(LONG_TERM_MEMORY_DISABLED)
        return app
