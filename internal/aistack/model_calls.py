"""Calling the configured model from an AI Stack system: the system's model (else the helper
model) or 503 SERVICE_UNAVAILABLE, and one structured answer (function calling) from it."""

from typing import TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from config import Settings
from internal.core.language_model.factory import LanguageModelFactory, ResolvedModel
from internal.core.language_model.structured import structured_answer, structured_or_text
from internal.exception import CustomException

from .gateway.errors import ServiceUnavailableException

Answer = TypeVar("Answer", bound=BaseModel)


def configured_model(
    factory: LanguageModelFactory, settings: Settings, provider: str, model: str, what: str, setting_names: str
) -> BaseChatModel:
    """The model named by a system's settings (empty: HELPER_MODEL_PROVIDER / HELPER_MODEL); 503
    naming `what` and the settings when it is not configured or cannot be built."""
    return configured(factory, settings, provider, model, what, setting_names)[0]


def configured(
    factory: LanguageModelFactory, settings: Settings, provider: str, model: str, what: str, setting_names: str, **overrides
) -> tuple[BaseChatModel, ResolvedModel]:
    """`configured_model` with its catalog entries (features, pricing); `overrides` replace
    client settings (e.g. `timeout`)."""
    try:
        resolved = factory.resolve(provider or settings.agent.helper_model_provider, model or settings.agent.helper_model)
        return factory.build(resolved, **overrides), resolved
    except CustomException as exc:
        raise ServiceUnavailableException(f"{what}不可用（{setting_names}）：{exc.message}") from None


def ask_structured(llm: BaseChatModel, schema: type[Answer], system: str, human: str) -> Answer:
    """The model's answer as `schema` (one function call); raises whatever the model's client
    raises, and ValueError when the model answered without the call."""
    return structured_answer(llm, schema, [SystemMessage(system), HumanMessage(human)])


def ask_structured_or_text(llm: BaseChatModel, schema: type[Answer], system: str, human: str) -> tuple[Answer | None, str]:
    """The model's answer as `schema`, or None and the text it answered instead."""
    return structured_or_text(llm, schema, [SystemMessage(system), HumanMessage(human)])
