"""The assistant agent's tools: searching the platform's documentation, and creating an Agent
app for the caller (the only action it takes, on the caller's own space)."""

from collections.abc import Callable
from typing import Any

from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field

from internal.core.retrieval.dataset_retrieval_tool import TOOL_NAME as DATASET_RETRIEVAL_TOOL
from internal.core.retrieval.dataset_retrieval_tool import DatasetRetrievalArgs

from .docs_index import DocsIndex

DOCS_SEARCH_DESCRIPTION = (
    "Searches the LLMOps platform's documentation (building apps, prompts and models, tools, knowledge "
    "bases, workflows, publishing, the open API) and returns the most relevant passages. Use it before "
    "answering any question about how to use the platform."
)
NO_PASSAGES = "No relevant passage was found in the platform's documentation."
DOCS_K = 4

CREATE_APP_TOOL = "create_app"
CREATE_APP_DESCRIPTION = (
    "Creates an Agent app in the user's space, when the user asks for one. Choose a short name, a one-sentence "
    "description and a complete preset prompt (role, skills, constraints) from the user's request. Answers with "
    "the new app's id, or with what was wrong with the arguments."
)


class DocsSearchTool(BaseTool):
    """Named like an app's knowledge-base tool, so its calls show as `dataset_retrieval` events."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = DATASET_RETRIEVAL_TOOL
    description: str = DOCS_SEARCH_DESCRIPTION
    args_schema: type[BaseModel] = DatasetRetrievalArgs
    index: Any = Field(exclude=True, repr=False)

    def _run(self, query: str, **_: Any) -> str:
        passages = self.index.search(query, DOCS_K)
        if not passages:
            return NO_PASSAGES
        return "\n\n".join(f"[{passage.title}]\n{passage.content}" for passage in passages)


class CreateAppArgs(BaseModel):
    name: str = Field(description="The app's name, at most 40 characters")
    description: str = Field(description="What the app does, in one or two sentences (at most 800 characters)")
    preset_prompt: str = Field(description="The app's system prompt: its role, skills and constraints (at most 2000 characters)")


class CreateAppTool(BaseTool):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = CREATE_APP_TOOL
    description: str = CREATE_APP_DESCRIPTION
    args_schema: type[BaseModel] = CreateAppArgs
    # (name, description, preset_prompt) → the observation: the new app's id, or the problem.
    create: Callable[[str, str, str], str] = Field(exclude=True, repr=False)

    def _run(self, name: str, description: str, preset_prompt: str, **_: Any) -> str:
        return self.create(name, description, preset_prompt)


def build_tools(index: DocsIndex, create_app: Callable[[str, str, str], str]) -> list[BaseTool]:
    return [DocsSearchTool(index=index), CreateAppTool(create=create_app)]
