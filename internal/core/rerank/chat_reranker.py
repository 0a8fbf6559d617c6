"""The configured chat model as a listwise reranker: it sees the question and the numbered
candidates at once and answers their numbers, most relevant first, through a forced function
call. Slower and dearer than a /rerank endpoint (one model call per search, its whole latency
added), but any chat model of the catalog will do, Chinese and English alike.

Numbers it leaves out follow in retrieval's order; an unknown or repeated number, no answer or
a failed call is a RerankError, so retrieval keeps its own order.
"""

from collections.abc import Sequence

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from internal.core.language_model.factory import LanguageModelFactory, ResolvedModel
from internal.core.language_model.structured import structured_answer
from internal.exception import CustomException

from .base import Reranker, RerankError

# Each candidate is cut to this many characters: the prompt stays bounded whatever a segment holds.
PASSAGE_CHARACTERS = 800

INSTRUCTIONS = (
    "You rank passages for a search engine. Given a question and numbered passages, call the "
    "function with the passage numbers ordered from the passage that best answers the question "
    "to the least useful one. Judge meaning, not shared words: a passage may answer a question "
    "phrased quite differently, or in another language or register (classical or modern Chinese)."
)


class PassageRanking(BaseModel):
    """The passages' numbers, most relevant to the question first."""

    ranking: list[int] = Field(description="passage numbers, best first; each number once")


class ChatReranker(Reranker):
    def __init__(self, language_models: LanguageModelFactory, model: ResolvedModel, candidates: int, timeout: float):
        self.language_models = language_models
        self.model = model
        self.name = f"{model.provider.name}/{model.model.model}"
        self.candidates = candidates
        self.timeout = timeout

    def rerank(self, query: str, texts: Sequence[str]) -> list[int]:
        if len(texts) < 2:
            return list(range(len(texts)))
        passages = "\n\n".join(f"[{number}] {text[:PASSAGE_CHARACTERS]}" for number, text in enumerate(texts))
        messages = [SystemMessage(INSTRUCTIONS), HumanMessage(f"Question: {query}\n\nPassages:\n\n{passages}")]
        try:
            # One attempt within the timeout: a search waits for it, and without it the order stands.
            llm = self.language_models.build(self.model, timeout=self.timeout, max_retries=0)
            answer = structured_answer(llm, PassageRanking, messages)
        except CustomException as exc:
            raise RerankError(f"rerank model {self.name}: {exc.message}") from exc
        except Exception as exc:  # the provider's client raises many kinds; all mean no ranking
            raise RerankError(f"rerank model {self.name} failed: {exc}") from exc
        return _order(answer.ranking, len(texts))


def _order(ranking: list[int], count: int) -> list[int]:
    if any(not 0 <= number < count for number in ranking) or len(set(ranking)) != len(ranking):
        raise RerankError(f"rerank model answered numbers outside 0-{count - 1} or repeated: {ranking}")
    return ranking + [number for number in range(count) if number not in ranking]
