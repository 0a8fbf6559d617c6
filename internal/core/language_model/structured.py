"""Asking a catalog model for an answer in a pydantic shape (structured output through function
calling), with every way of not getting one folded into a single exception."""

from typing import TypeVar

from langchain_core.messages import BaseMessage
from pydantic import BaseModel

from internal.exception import CustomException

from .factory import LanguageModelFactory

Answer = TypeVar("Answer", bound=BaseModel)


class StructuredAnswerUnavailable(Exception):
    """No usable model (unknown, no API key) or no answer of the asked shape from it."""


def ask_structured(
    factory: LanguageModelFactory, provider: str, model: str, schema: type[Answer], messages: list[BaseMessage]
) -> Answer:
    try:
        llm = factory.create(provider, model)
    except CustomException as exc:
        raise StructuredAnswerUnavailable(f"{provider}/{model}: {exc.message}") from None
    try:
        answer = llm.with_structured_output(schema, method="function_calling").invoke(messages)
    except Exception as exc:  # the provider's errors are many and all mean the same here
        raise StructuredAnswerUnavailable(f"{provider}/{model}: {exc}") from None
    if not isinstance(answer, schema):
        raise StructuredAnswerUnavailable(f"{provider}/{model}: no answer of the expected shape")
    return answer
