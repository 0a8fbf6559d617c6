"""Requests of the AI helper endpoints (llmops-api.md §8.1, §8.2) and the data of the prompt-optimizing stream."""

import uuid
from pydantic import BaseModel

from .common import RequestModel, text

MAX_PROMPT_LENGTH = 2000


class OptimizePromptReq(RequestModel):
    prompt: text(MAX_PROMPT_LENGTH)


class SuggestedQuestionsReq(RequestModel):
    message_id: uuid.UUID


class OptimizePromptChunkData(BaseModel):
    """One `optimize_prompt` event's data. `optimize_prompt` repeats the chunk for front ends
    that read that key; the document names it `optimized_prompt`."""

    optimized_prompt: str
    optimize_prompt: str

    @classmethod
    def of(cls, chunk: str) -> "OptimizePromptChunkData":
        return cls(optimized_prompt=chunk, optimize_prompt=chunk)


class StreamErrorData(BaseModel):
    """The data of the `error` event that ends a stream whose model failed."""

    message: str
