"""Asking a chat model for an answer shaped as a pydantic model: structured output through
function calling, which every provider of the catalog supports."""

from typing import TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from pydantic import BaseModel

SchemaT = TypeVar("SchemaT", bound=BaseModel)


def structured_answer(llm: BaseChatModel, schema: type[SchemaT], messages: list[BaseMessage]) -> SchemaT:
    """The model's answer as `schema` (a forced call of the function named after it); raises
    whatever the model's client raises, and ValueError when the model called no function."""
    result = llm.with_structured_output(schema, method="function_calling").invoke(messages)
    if result is None:
        raise ValueError(f"模型没有返回结构化的结果（{schema.__name__}）")
    return result
