"""The reranker port: given a query and candidate texts, their order by relevance."""

from abc import ABC, abstractmethod
from collections.abc import Sequence


class RerankError(Exception):
    """The reranker could not answer (unreachable, refused, or an answer of the wrong shape)."""


class Reranker(ABC):
    # Whether retrieval should call it at all; the pass-through one says no.
    active: bool = True
    # How many of the best candidates it is given.
    candidates: int = 20

    @abstractmethod
    def rerank(self, query: str, texts: Sequence[str]) -> list[int]:
        """Indexes into `texts`, most relevant first; every index once."""


class KeepOrder(Reranker):
    """No reranking (the default): retrieval's own order stands."""

    active = False

    def rerank(self, query: str, texts: Sequence[str]) -> list[int]:
        return list(range(len(texts)))
