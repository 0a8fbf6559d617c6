"""Debugging an app: chatting with its draft in the app's debug conversation (llmops-api.md §1.11, §1.12)."""

import uuid
from dataclasses import dataclass

from injector import inject
from sqlalchemy import ColumnElement, Update, and_, bindparam, select, update

from internal.exception import NotFoundException
from internal.model import App, AppConfig, Conversation
from internal.model.app import AppConfigKind
from internal.model.conversation import InvokeFrom
from internal.schema.agent_chat import AgentChatReq

from .agent_chat_service import AgentChatService, AgentStream, ChatTurn
from .app_base_service import APP_NOT_FOUND, AppBaseService
from .app_config_service import AppConfigService

TASK_NOT_FOUND = "该任务不存在或已结束"


def point_debug_conversation(apps: ColumnElement[bool], conversation_id: uuid.UUID | None) -> Update:
    """Set which conversation the matching apps debug in (None: none). Chatting is not editing
    an app, so its updated_at stays."""
    return update(App).where(apps).values(debug_conversation_id=conversation_id, updated_at=App.updated_at)


# Built once, run with parameters: building a statement costs more than running it here.
_CHAT_CONTEXT = (
    select(App, AppConfig, Conversation)
    .join(AppConfig, and_(AppConfig.app_id == App.id, AppConfig.kind == AppConfigKind.DRAFT))
    .outerjoin(Conversation, and_(Conversation.id == App.debug_conversation_id, Conversation.is_deleted.is_(False)))
    .where(App.id == bindparam("app_id"), App.account_id == bindparam("account_id"))
)


def debug_task_owner(account_id: uuid.UUID, app_id: uuid.UUID) -> str:
    return f"debugger:{account_id}:{app_id}"


@inject
@dataclass
class DebugChatService(AppBaseService):
    app_config_service: AppConfigService
    agent_chat_service: AgentChatService

    def chat(self, account_id: uuid.UUID, app_id: uuid.UUID, req: AgentChatReq) -> AgentStream:
        app, draft, conversation = self._chat_context(account_id, app_id)
        values, bindings = self.app_config_service.runtime_config(account_id, draft)
        turn = ChatTurn(
            app_id=app.id,
            account_id=account_id,
            conversation=conversation or self.debug_conversation(app, create=True),
            new_conversation=conversation is None,
            invoke_from=InvokeFrom.DEBUGGER,
            created_by=account_id,
            query=req.query,
            image_urls=list(req.image_urls),
            config=values,
            bindings=bindings,
            owner=debug_task_owner(account_id, app.id),
        )
        return self.agent_chat_service.start(turn)

    def stop(self, account_id: uuid.UUID, app_id: uuid.UUID, task_id: uuid.UUID) -> None:
        app = self.get_app(account_id, app_id)
        if not self.agent_chat_service.stop(task_id, debug_task_owner(account_id, app.id)):
            raise NotFoundException(TASK_NOT_FOUND)

    def _chat_context(self, account_id: uuid.UUID, app_id: uuid.UUID) -> tuple[App, AppConfig, Conversation | None]:
        """The app, its draft and its current debug conversation (None if it has none) in one
        round trip: a chat turn's hot path."""
        row = self.db.session.execute(_CHAT_CONTEXT, {"app_id": app_id, "account_id": account_id}).first()
        if row is None:
            raise NotFoundException(APP_NOT_FOUND)
        return row[0], row[1], row[2]

    def debug_conversation(self, app: App, create: bool) -> Conversation | None:
        """The app's current debug conversation; with `create`, a new one when it has none."""
        if app.debug_conversation_id is not None:
            conversation = self.db.session.get(Conversation, app.debug_conversation_id)
            if conversation is not None and not conversation.is_deleted:
                return conversation
        if not create:
            return None
        conversation = Conversation(
            id=uuid.uuid4(), app_id=app.id, invoke_from=InvokeFrom.DEBUGGER, created_by=app.account_id
        )
        self.db.session.add(conversation)
        self.db.session.execute(point_debug_conversation(App.id == app.id, conversation.id))
        # The caller commits: a chat refused before it starts leaves no conversation behind.
        return conversation
