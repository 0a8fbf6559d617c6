"""What the workflow engine needs from the rest of the platform, passed in by the caller: models,
tools, retrieval, the code sandbox and the guarded HTTP client (the engine imports no service)."""

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool

from pkg.guarded_http import GuardedHttpClient

from .entities import LanguageModelConfig, RetrievalConfig, ToolNode


class CodeRunner(Protocol):
    """Runs a code node's `def main(params) -> dict` somewhere else (`pkg.sandbox.CodeSandbox`);
    raises an exception whose message is the node's error when the code fails or is stopped."""

    def run(self, code: str, params: dict, timeout: float | None) -> dict: ...


@dataclass
class WorkflowPorts:
    chat_model: Callable[[LanguageModelConfig], BaseChatModel]
    tool: Callable[[ToolNode], BaseTool]
    retrieve: Callable[[list[str], RetrievalConfig, str], str]  # dataset ids, config, query -> text
    code_runner: CodeRunner
    http_client: GuardedHttpClient
    node_timeout: float = 60.0
    # Nodes of independent branches that run at once (more wait for a free thread).
    node_workers: int = 8
    # Entered around each node on the thread that runs it (a Flask app context for DB users).
    node_context: Callable[[], AbstractContextManager] = nullcontext
