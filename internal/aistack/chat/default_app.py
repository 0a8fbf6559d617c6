"""Each account's default chat app: made and published on the account's first message that
names no app, with the model the assistant agent would choose; one per account however many
first messages arrive at once."""

import uuid
from dataclasses import dataclass

from injector import inject
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from config import Settings
from internal.extension.kv_store import KeyValueStore
from internal.service.app_publish_service import AppPublishService
from internal.service.app_service import AppService
from internal.service.assistant_agent_service import AssistantAgentService
from internal.service.base_service import BaseService

from .models import AIStackChatDefaultApp

PRESET_PROMPT = "你是AI Stack对话中心的智能助手。请用用户提问的语言，清晰、准确地回答问题。"
DESCRIPTION = "AI Stack对话中心的默认应用：未指定app_id的对话由它回答。"
# Long enough for creating and publishing an app; a holder that died frees it after this.
LOCK_SECONDS = 30


@inject
@dataclass
class DefaultChatApp(BaseService):
    settings: Settings
    kv_store: KeyValueStore
    app_service: AppService
    app_publish_service: AppPublishService
    assistant_agent_service: AssistantAgentService

    def app_id(self, account_id: uuid.UUID, icon: str) -> uuid.UUID:
        """The account's default app (a deleted one is replaced), made now if it has none."""
        found = self._find(account_id)
        if found is not None:
            return found
        with self.kv_store.lock(f"aistack-chat-default-app:{account_id}", timeout=LOCK_SECONDS):
            self.db.session.rollback()  # see what the holder before us committed
            found = self._find(account_id)
            if found is not None:
                return found
            return self._create(account_id, icon)

    def _create(self, account_id: uuid.UUID, icon: str) -> uuid.UUID:
        values = self.app_service.app_config_service.prepare(
            account_id, {"model_config": self.assistant_agent_service.model_config(), "preset_prompt": PRESET_PROMPT}
        )
        name = self.settings.aistack_chat.aistack_chat_app_name
        app = self.app_service.create_with_config(account_id, name, icon, DESCRIPTION, values)
        app_id = app.id
        self.app_publish_service.publish(account_id, app_id)
        try:
            with self.db.auto_commit():
                self.db.session.add(AIStackChatDefaultApp(account_id=account_id, app_id=app_id))
        except IntegrityError:
            # Another process without our lock store got there first: keep its app only.
            self.app_service.delete(account_id, app_id)
            return self._find(account_id)
        return app_id

    def _find(self, account_id: uuid.UUID) -> uuid.UUID | None:
        return self.db.session.scalar(select(AIStackChatDefaultApp.app_id).where(AIStackChatDefaultApp.account_id == account_id))
