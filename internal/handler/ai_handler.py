"""The AI helpers (llmops-api.md §8.1, §8.2): a streamed rewrite of a preset prompt, suggested follow-up questions."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from injector import inject

from internal.middleware import current_account
from internal.schema.ai import OptimizePromptChunkData, OptimizePromptReq, StreamErrorData, SuggestedQuestionsReq
from internal.service.ai_service import AIService, PromptChunk
from pkg.response import sse_response, success_json

from .endpoint import endpoint

_TAGS = ("ai",)


def optimize_prompt_frames(chunks: Iterable[PromptChunk]) -> Iterator[tuple[str, str]]:
    for chunk in chunks:
        if chunk.error is not None:
            yield "error", StreamErrorData(message=chunk.error).model_dump_json()
        else:
            yield "optimize_prompt", OptimizePromptChunkData.of(chunk.text).model_dump_json()


@inject
@dataclass
class AIHandler:
    ai_service: AIService

    @endpoint(body=OptimizePromptReq, raw_response="text/event-stream", tags=_TAGS)
    def optimize_prompt(self, body: OptimizePromptReq):
        """Rewrite a preset prompt with the helper model; streams `optimize_prompt` events whose
        chunks concatenate to the new prompt, or ends with an `error` event if the model fails."""
        return sse_response(optimize_prompt_frames(self.ai_service.optimize_prompt(body.prompt)))

    @endpoint(body=SuggestedQuestionsReq, resp=list[str], tags=_TAGS)
    def suggested_questions(self, body: SuggestedQuestionsReq):
        """Up to 3 questions the caller may ask next, after one of their own debug or web app messages."""
        return success_json(self.ai_service.suggested_questions(current_account().id, body.message_id))
