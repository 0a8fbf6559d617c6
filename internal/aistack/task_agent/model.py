"""The model the task agent decomposes and runs tasks with: AISTACK_TASKS_MODEL(_PROVIDER), else
the helper model; one that cannot be called is SERVICE_UNAVAILABLE, never a 500."""

from dataclasses import dataclass

from injector import inject
from langchain_core.language_models import BaseChatModel

from config import Settings
from internal.aistack.gateway.errors import ServiceUnavailableException
from internal.core.language_model.entities import ModelFeature
from internal.core.language_model.factory import LanguageModelFactory
from internal.exception import CustomException

UNAVAILABLE = "任务代理的模型不可用（AISTACK_TASKS_MODEL_PROVIDER、AISTACK_TASKS_MODEL）：{}"


@inject
@dataclass
class TaskModels:
    settings: Settings
    factory: LanguageModelFactory

    def chat_model(self, **overrides) -> BaseChatModel:
        return self.resolve_and_build(**overrides)[0]

    def resolve_and_build(self, **overrides) -> tuple[BaseChatModel, bool, object]:
        """(chat model, whether it calls tools natively, its pricing)."""
        tasks, agent = self.settings.aistack_tasks, self.settings.agent
        provider = tasks.aistack_tasks_model_provider or agent.helper_model_provider
        model = tasks.aistack_tasks_model or agent.helper_model
        try:
            resolved = self.factory.resolve(provider, model)
            llm = self.factory.build(resolved, **overrides)
        except CustomException as exc:
            raise ServiceUnavailableException(UNAVAILABLE.format(exc.message)) from None
        return llm, resolved.model.has_feature(ModelFeature.TOOL_CALL), resolved.model.pricing
