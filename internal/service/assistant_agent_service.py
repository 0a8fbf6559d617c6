"""The assistant agent of the home page (llmops-api.md §13): one conversation per account with a
built-in agent that knows the platform's documentation and can create an Agent app for the
caller. A thin door over the chat service, with a configuration of its own on no app."""

import threading
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

from injector import inject, singleton
from pydantic import AfterValidator, BaseModel, StringConstraints, ValidationError
from sqlalchemy import select

from config import Settings
from internal.core.app_config import default_app_config
from internal.core.app_config.values import MAX_PRESET_PROMPT_LENGTH
from internal.core.assistant.docs_index import DocsIndex
from internal.core.assistant.prompt import ASSISTANT_PRESET_PROMPT
from internal.core.assistant.tools import build_tools
from internal.core.embeddings.local_embeddings import LocalEmbeddings
from internal.core.language_model.catalog import LanguageModelCatalog
from internal.core.language_model.entities import ModelType, ProviderEntity
from internal.exception import FailException, NotFoundException
from internal.model import Account, Conversation
from internal.schema.agent_chat import AgentChatReq
from internal.schema.app import AppDescription, AppName
from internal.schema.common import not_blank
from pkg.paginator import PageReq, Paginator

from .app_service import AppService
from .base_service import BaseService
from .chat_service import AgentStream, ChatCaller, ChatConfig, ChatRequest, ChatService, InvokeFrom
from .conversation_service import ConversationService, MessagePage
from .debug_chat_service import TASK_NOT_FOUND

NO_MODEL = (
    "辅助Agent未配置模型，请设置ASSISTANT_AGENT_PROVIDER和ASSISTANT_AGENT_MODEL，"
    "或为任一模型提供商配置API密钥（例如OPENAI_API_KEY）"
)
# The local model's name in the index fingerprint: a new model re-embeds the documentation.
DOCS_EMBEDDING_MODEL = "universal-sentence-encoder-multilingual-3"


class _NewApp(BaseModel):
    """The create_app tool's arguments, checked as POST /apps checks an app's base info."""

    name: AppName
    description: AppDescription = ""
    preset_prompt: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=MAX_PRESET_PROMPT_LENGTH), AfterValidator(not_blank)
    ]


@singleton
@inject
@dataclass
class AssistantDocs:
    """The documentation index, shared by every turn of the process and built on first use.

    It always embeds with the local model, in both profiles: the documentation is the same
    for everyone, so it needs no provider key, costs nothing and reads the same files
    whichever vector store or embedding endpoint knowledge bases use."""

    settings: Settings
    _index: DocsIndex | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def index(self) -> DocsIndex:
        with self._lock:
            if self._index is None:
                embeddings = self.settings.embeddings
                self._index = DocsIndex(
                    self.settings.storage_dir / "assistant_docs",
                    LocalEmbeddings(batch_size=embeddings.embedding_batch_size, threads=embeddings.embedding_threads),
                    DOCS_EMBEDDING_MODEL,
                )
            return self._index


@inject
@dataclass
class AssistantAgentService(BaseService):
    settings: Settings
    catalog: LanguageModelCatalog
    chat_service: ChatService
    app_service: AppService
    conversation_service: ConversationService
    docs: AssistantDocs

    def chat(self, account_id: uuid.UUID, req: AgentChatReq, app_icon: str) -> AgentStream:
        """A turn in the account's assistant conversation (started when it has none); apps the
        assistant creates get `app_icon` unless ASSISTANT_AGENT_APP_ICON names another."""
        values = default_app_config() | {
            "model_config": self.model_config(),
            "preset_prompt": ASSISTANT_PRESET_PROMPT,
        }
        icon = self.settings.assistant_agent.assistant_agent_app_icon or app_icon
        tools = build_tools(self.docs.index(), lambda *args: self._create_app(account_id, icon, *args))
        return self.chat_service.stream(
            ChatRequest(
                app_id=None,
                invoke_from=InvokeFrom.ASSISTANT_AGENT,
                caller=ChatCaller(account_id=account_id),
                query=req.query,
                conversation_id=self._conversation_id(account_id),
                image_urls=list(req.image_urls),
                config=ChatConfig(values=values, tools=tools),
            )
        )

    def stop(self, account_id: uuid.UUID, task_id: uuid.UUID) -> None:
        if not self.chat_service.stop(task_id, ChatCaller(account_id=account_id)):
            raise NotFoundException(TASK_NOT_FOUND)

    def get_messages(self, account_id: uuid.UUID, cursor: int, req: PageReq) -> MessagePage:
        """The assistant conversation's messages, newest first; `cursor` 0 means none. An
        account that never chatted or just cleared it has an empty page."""
        conversation_id = self._conversation_id(account_id)
        if conversation_id is None:
            empty = Paginator(current_page=req.current_page, page_size=req.page_size, total_page=0, total_record=0)
            return MessagePage([], empty)
        return self.conversation_service.message_page(conversation_id, cursor or None, req)

    def delete_conversation(self, account_id: uuid.UUID) -> None:
        """The current conversation is deleted and a new, blank one takes its place."""
        conversation_id = self._conversation_id(account_id)
        with self.db.auto_commit():
            if conversation_id is not None:
                self.db.session.get(Conversation, conversation_id).is_deleted = True
            self.chat_service.new_conversation(None, InvokeFrom.ASSISTANT_AGENT, ChatCaller(account_id=account_id))

    def model_config(self) -> dict[str, Any]:
        """The assistant's model: the configured one, else the first configured provider's default."""
        config = self.settings.assistant_agent
        if config.assistant_agent_provider:
            provider = self.catalog.get_provider(config.assistant_agent_provider)
            if provider is None:
                raise FailException(
                    f"辅助Agent的模型提供商{config.assistant_agent_provider}不存在，请检查ASSISTANT_AGENT_PROVIDER"
                )
        else:
            provider = next((p for p in self.catalog.providers if self._is_configured(p)), None)
            if provider is None:
                raise FailException(NO_MODEL)
        model = config.assistant_agent_model or _default_model(provider)
        if model is None or provider.get_model(model) is None:
            raise FailException(f"模型提供商{provider.name}下不存在辅助Agent的模型{model or ''}，请检查ASSISTANT_AGENT_MODEL")
        return {"provider": provider.name, "model": model, "parameters": {}}

    def _is_configured(self, provider: ProviderEntity) -> bool:
        """A provider with its key (one that needs none, such as Ollama: with its API base set)."""
        setting = "api_key" if provider.requires_api_key else "api_base"
        return bool(getattr(self.settings.providers, f"{provider.name}_{setting}", ""))

    def _conversation_id(self, account_id: uuid.UUID) -> uuid.UUID | None:
        return self.db.session.scalar(
            select(Conversation.id)
            .join(Account, Account.assistant_agent_conversation_id == Conversation.id)
            .where(Account.id == account_id, Conversation.is_deleted.is_(False))
        )

    def _create_app(self, account_id: uuid.UUID, icon: str, name: str, description: str, preset_prompt: str) -> str:
        """The create_app tool's work (on the run's thread): the observation the model reads."""
        try:
            checked = _NewApp(name=name, description=description, preset_prompt=preset_prompt)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            return f"The app was not created: {problems}. Fix the arguments and call create_app again."
        config = self.app_service.app_config_service.prepare(
            account_id, {"model_config": self.model_config(), "preset_prompt": checked.preset_prompt}
        )
        app = self.app_service.create_with_config(account_id, checked.name, icon, checked.description, config)
        return f'Created the Agent app "{app.name}" (a draft in the user\'s space). Its id is {app.id}.'


def _default_model(provider: ProviderEntity) -> str | None:
    """The model new apps default to when it is this provider's, else its first chat model."""
    default = default_app_config()["model_config"]
    if default["provider"] == provider.name and provider.get_model(default["model"]) is not None:
        return default["model"]
    return next((m.model for m in provider.models if m.model_type == ModelType.CHAT), None)
