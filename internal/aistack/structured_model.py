"""The model an AI Stack system asks for structured answers: its own configured model, else the
platform's helper model; one that cannot be built is 503 SERVICE_UNAVAILABLE naming the settings."""

from typing import TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from config import Settings
from internal.core.language_model.factory import LanguageModelFactory
from internal.exception import CustomException

from .gateway.errors import ServiceUnavailableException

T = TypeVar("T", bound=BaseModel)


def configured_model(
    settings: Settings, factory: LanguageModelFactory, provider: str, model: str, what: str, setting_names: str
) -> BaseChatModel:
    """`provider`/`model` as a system configured them (empty: the helper model). `what` names
    the model's use and `setting_names` its settings in the 503 message."""
    agent = settings.agent
    try:
        return factory.create(provider or agent.helper_model_provider, model or agent.helper_model)
    except CustomException as exc:
        raise ServiceUnavailableException(f"{what}不可用（{setting_names}）：{exc.message}") from None


def ask_structured(llm: BaseChatModel, schema: type[T], instructions: str, text: str) -> T:
    """The model's answer as `schema`, through a forced function call."""
    answer = llm.with_structured_output(schema, method="function_calling").invoke(
        [SystemMessage(instructions), HumanMessage(text)]
    )
    if not isinstance(answer, schema):
        raise ValueError(f"the model did not answer a {schema.__name__}")
    return answer
