"""The model the task agent decomposes and runs tasks with: AISTACK_TASKS_MODEL(_PROVIDER), else
the helper model; one that cannot be called is SERVICE_UNAVAILABLE, never a 500."""

from dataclasses import dataclass

from injector import inject
from langchain_core.language_models import BaseChatModel

from config import Settings
from internal.aistack.model_calls import configured
from internal.core.language_model.entities import ModelFeature
from internal.core.language_model.factory import LanguageModelFactory

WHAT = "任务代理的模型"
SETTING_NAMES = "AISTACK_TASKS_MODEL_PROVIDER、AISTACK_TASKS_MODEL"


@inject
@dataclass
class TaskModels:
    settings: Settings
    factory: LanguageModelFactory

    def chat_model(self, **overrides) -> BaseChatModel:
        return self.resolve_and_build(**overrides)[0]

    def resolve_and_build(self, **overrides) -> tuple[BaseChatModel, bool, object]:
        """(chat model, whether it calls tools natively, its pricing)."""
        tasks = self.settings.aistack_tasks
        llm, resolved = configured(
            self.factory, self.settings, tasks.aistack_tasks_model_provider, tasks.aistack_tasks_model, WHAT, SETTING_NAMES, **overrides
        )
        return llm, resolved.model.has_feature(ModelFeature.TOOL_CALL), resolved.model.pricing
