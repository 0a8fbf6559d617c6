"""WebApps (llmops-api.md §15, §5.1): a published app reached by its WebApp token by any signed-in
account (no app-ownership check, llmops-api-index.md D57), each account seeing its own
conversations only."""

import uuid
from dataclasses import dataclass
from typing import Any

from injector import inject
from sqlalchemy import select

from internal.core.app_config import default_app_config
from internal.core.language_model.catalog import LanguageModelCatalog
from internal.exception import FailException, NotFoundException
from internal.model import App, Conversation
from internal.model.app import AppConfigKind
from internal.model.conversation import InvokeFrom
from internal.schema.web_app import WebAppChatReq

from .app_config_service import AppConfigService
from .app_publish_service import NOT_PUBLISHED, AppPublishService
from .base_service import BaseService
from .chat_service import AgentStream, ChatCaller, ChatRequest, ChatService
from .debug_chat_service import TASK_NOT_FOUND

WEB_APP_NOT_FOUND = "该WebApp不存在或已失效"


@dataclass(frozen=True)
class WebApp:
    """A WebApp as its front end sees it: the app and the published config fields it uses."""

    id: uuid.UUID
    icon: str
    name: str
    description: str
    app_config: dict[str, Any]


@inject
@dataclass
class WebAppService(BaseService):
    language_model_catalog: LanguageModelCatalog
    app_publish_service: AppPublishService
    app_config_service: AppConfigService
    chat_service: ChatService

    def get_app(self, token: str) -> App:
        """The published app behind a WebApp token. A wrong or regenerated token, and the token of
        an app whose publication was cancelled (which takes its token back), are not_found."""
        app = self.app_publish_service.find_published_by_token(token)
        if app is None:
            raise NotFoundException(WEB_APP_NOT_FOUND)
        return app

    def get_web_app(self, token: str) -> WebApp:
        app = self.get_app(token)
        published = self.app_config_service.get_config(app.id, AppConfigKind.PUBLISHED)
        if published is None:
            raise FailException(NOT_PUBLISHED)
        # A config published before a field existed shows the field's default.
        defaults = default_app_config()
        suggested = {**defaults["suggested_after_answer"], **(published.suggested_after_answer or {})}
        model_config = published.model_config or {}
        model = self.language_model_catalog.get_model(model_config.get("provider", ""), model_config.get("model", ""))
        return WebApp(
            id=app.id,
            icon=app.icon,
            name=app.name,
            description=app.description,
            app_config={
                "opening_statement": published.opening_statement or "",
                "opening_questions": list(published.opening_questions or [])[:3],
                "suggested_after_answer": {"enable": bool(suggested.get("enable"))},
                "features": [feature.value for feature in model.features] if model is not None else [],
            },
        )

    def chat(self, token: str, account_id: uuid.UUID, req: WebAppChatReq) -> AgentStream:
        """A turn on the published config; the conversation, when named, must be the caller's own
        with this app. Everything refusable is refused before the stream opens."""
        app = self.get_app(token)
        return self.chat_service.stream(
            ChatRequest(
                app_id=app.id,
                invoke_from=InvokeFrom.WEB_APP,
                caller=ChatCaller(account_id=account_id),
                query=req.query,
                conversation_id=req.conversation_id,
                image_urls=list(req.image_urls),
            )
        )

    def stop(self, token: str, account_id: uuid.UUID, task_id: uuid.UUID) -> None:
        self.get_app(token)
        if not self.chat_service.stop(task_id, ChatCaller(account_id=account_id)):
            raise NotFoundException(TASK_NOT_FOUND)

    def list_conversations(self, token: str, account_id: uuid.UUID, is_pinned: bool) -> list[Conversation]:
        """The account's undeleted WebApp conversations with the app, pinned or unpinned, newest first."""
        app = self.get_app(token)
        return list(
            self.db.session.scalars(
                select(Conversation)
                .where(
                    Conversation.app_id == app.id,
                    Conversation.created_by == account_id,
                    Conversation.invoke_from == InvokeFrom.WEB_APP,
                    Conversation.is_deleted.is_(False),
                    Conversation.is_pinned.is_(is_pinned),
                )
                .order_by(Conversation.created_at.desc(), Conversation.id.desc())
            )
        )
