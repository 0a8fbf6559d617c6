"""Asking a chat model for an answer shaped as a pydantic model: structured output through
function calling, which every provider of the catalog supports."""

from typing import TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from pydantic import BaseModel

from internal.exception import CustomException

from .factory import LanguageModelFactory

SchemaT = TypeVar("SchemaT", bound=BaseModel)


class StructuredAnswerUnavailable(Exception):
    """No usable model (unknown, no API key) or no answer of the asked shape from it."""


def structured_answer(llm: BaseChatModel, schema: type[SchemaT], messages: list[BaseMessage]) -> SchemaT:
    """The model's answer as `schema` (a forced call of the function named after it); raises
    whatever the model's client raises, and ValueError when the model called no function."""
    result, _ = structured_or_text(llm, schema, messages)
    if result is None:
        raise ValueError(f"模型没有返回结构化的结果（{schema.__name__}）")
    return result


def structured_or_text(llm: BaseChatModel, schema: type[SchemaT], messages: list[BaseMessage]) -> tuple[SchemaT | None, str]:
    """The model's answer as `schema`, or None and the text it answered instead (a model that
    ignored the function, for callers that can use plain text); raises what the client raises."""
    answer = llm.with_structured_output(schema, method="function_calling", include_raw=True).invoke(messages)
    parsed = answer.get("parsed")
    if isinstance(parsed, schema):
        return parsed, ""
    raw = answer.get("raw")
    return None, raw.text if raw is not None else ""


def structured_answer_of(
    factory: LanguageModelFactory, provider: str, model: str, schema: type[SchemaT], messages: list[BaseMessage]
) -> SchemaT:
    """`structured_answer` from the catalog model `provider`/`model`, for callers with an offline
    fallback: every way of not getting an answer is StructuredAnswerUnavailable."""
    try:
        llm = factory.create(provider, model)
    except CustomException as exc:
        raise StructuredAnswerUnavailable(f"{provider}/{model}: {exc.message}") from None
    try:
        return structured_answer(llm, schema, messages)
    except Exception as exc:  # the provider's errors are many and all mean the same here
        raise StructuredAnswerUnavailable(f"{provider}/{model}: {exc}") from None
