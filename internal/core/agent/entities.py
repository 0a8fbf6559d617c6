"""What an agent run is built from and what it leaves behind."""

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.tools import BaseTool

from internal.core.language_model.entities import Pricing
from internal.model.conversation import MessageStatus

from .events import AgentEvent, AgentEventType


@dataclass(frozen=True)
class ReviewConfig:
    """The app's `review_config`: keywords that block a question or are masked in the answer."""

    keywords: tuple[str, ...] = ()
    inputs_enabled: bool = False
    preset_response: str = ""
    outputs_enabled: bool = False

    @classmethod
    def from_config(cls, review_config: dict[str, Any]) -> "ReviewConfig":
        if not review_config.get("enable"):
            return cls()
        keywords = tuple(k for k in review_config.get("keywords") or [] if isinstance(k, str) and k)
        inputs = review_config.get("inputs_config") or {}
        outputs = review_config.get("outputs_config") or {}
        return cls(
            keywords=keywords,
            inputs_enabled=bool(inputs.get("enable")) and bool(keywords),
            preset_response=inputs.get("preset_response") or "",
            outputs_enabled=bool(outputs.get("enable")) and bool(keywords),
        )


@dataclass
class AgentConfig:
    llm: BaseChatModel
    # Models whose catalog features include `tool_call` get tools natively; others a ReAct prompt.
    native_tool_calling: bool
    tools: list[BaseTool] = field(default_factory=list)
    preset_prompt: str = ""
    long_term_memory: bool = False
    review: ReviewConfig = field(default_factory=ReviewConfig)
    max_iterations: int = 5
    tool_workers: int = 4
    pricing: Pricing = field(default_factory=Pricing)
    # Entered around each tool call, on the thread that runs it (tools that use the database
    # need the Flask app context).
    tool_context: Callable[[], AbstractContextManager] = nullcontext


@dataclass
class AgentInput:
    task_id: uuid.UUID
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    query: str
    image_urls: list[str] = field(default_factory=list)
    history: list[BaseMessage] = field(default_factory=list)
    summary: str = ""
    # Notes the door adds to this turn only (an AI Stack chat session's saved context, and
    # whatever else the session has to tell the model): put in the system prompt, not stored.
    notes: list[str] = field(default_factory=list)

    def event(self, kind: AgentEventType, **fields: Any) -> AgentEvent:
        """An event of this run: it carries the run's task, conversation and message ids."""
        return AgentEvent(
            event=kind, conversation_id=self.conversation_id, message_id=self.message_id, task_id=self.task_id, **fields
        )


@dataclass
class AgentResult:
    """A finished run: its answer, its completed steps in order, and what it cost."""

    answer: str = ""
    thoughts: list[AgentEvent] = field(default_factory=list)
    status: str = MessageStatus.NORMAL
    error: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    total_price: float = 0.0
    latency: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens
