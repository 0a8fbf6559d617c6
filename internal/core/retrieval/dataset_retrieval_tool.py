"""The dataset-retrieval tool an agent calls: a query in, the contents of the best segments out.

The tool holds ids and plain settings only; each call goes through the retrieval service, which
records the query with source `App` and counts the hits. Calls need the Flask app context the
agent runtime runs in, since the service uses the database.
"""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field

from .entities import QuerySource, RetrievalStrategy, RetrievedSegment

TOOL_NAME = "dataset_retrieval"
TOOL_DESCRIPTION = (
    "Searches the knowledge bases attached to this app and returns the passages most relevant to the query. "
    "Use it when a question may be answered by those documents."
)
NO_RESULTS = "No relevant content was found in the knowledge bases."
SEPARATOR = "\n\n"


def combine_segments(segments: Sequence[RetrievedSegment]) -> str:
    """What a search gives a model: the segments' contents, best first, or a note that none matched."""
    return SEPARATOR.join(segment.content for segment in segments) if segments else NO_RESULTS


class DatasetSearcher(Protocol):
    """What the tool needs from the retrieval service."""

    def search(
        self,
        account_id: uuid.UUID,
        dataset_ids: Sequence[uuid.UUID],
        query: str,
        strategy: RetrievalStrategy | str,
        k: int,
        score: float,
        source: QuerySource | str = ...,
        source_app_id: uuid.UUID | None = None,
    ) -> list[RetrievedSegment]: ...


class DatasetRetrievalArgs(BaseModel):
    query: str = Field(description="What to look up: the user's question or its key phrases")


class DatasetRetrievalTool(BaseTool):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = TOOL_NAME
    description: str = TOOL_DESCRIPTION
    args_schema: type[BaseModel] = DatasetRetrievalArgs

    searcher: Any = Field(exclude=True, repr=False)
    account_id: uuid.UUID
    dataset_ids: list[uuid.UUID]
    strategy: RetrievalStrategy
    k: int
    score: float
    app_id: uuid.UUID | None = None

    def _run(self, query: str, **_: Any) -> str:
        return combine_segments(self.retrieve(query))

    def retrieve(self, query: str) -> list[RetrievedSegment]:
        """The segments themselves, for runtimes that also show them (the `dataset_retrieval` event)."""
        return self.searcher.search(
            self.account_id,
            self.dataset_ids,
            query,
            self.strategy,
            self.k,
            self.score,
            source=QuerySource.APP,
            source_app_id=self.app_id,
        )


def build_dataset_retrieval_tool(
    searcher: DatasetSearcher,
    account_id: uuid.UUID,
    dataset_ids: Sequence[uuid.UUID],
    retrieval_config: Mapping[str, Any],
    app_id: uuid.UUID | None = None,
) -> BaseTool:
    """The tool for an app's datasets and its `retrieval_config` ({retrieval_strategy, k, score})."""
    return DatasetRetrievalTool(
        searcher=searcher,
        account_id=account_id,
        dataset_ids=list(dataset_ids),
        strategy=RetrievalStrategy(retrieval_config["retrieval_strategy"]),
        k=int(retrieval_config["k"]),
        score=float(retrieval_config["score"]),
        app_id=app_id,
    )
