"""One round of a conversation with an app's agent, whichever channel asks for it.

The request thread builds the agent, opens the task's queue and starts the run on a thread of
its own, then streams the queue. The run stores the message and its steps before it publishes
the last event, so a client that saw `agent_end` finds the message stored; then it names a new
conversation and updates the long-term memory, off the stream. A stop or the deadline ends the
run from the stream at once, storing what it has so far, even while the model is still silent.
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from flask import Flask
from injector import inject, singleton
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.tools import BaseTool
from sqlalchemy import bindparam, insert, select, update

from config import Settings
from internal.core.agent import prompts
from internal.core.agent.agent_runner import TIMEOUT_MESSAGE, AgentRun, AgentRunner, describe_error
from internal.core.agent.entities import AgentConfig, AgentInput, AgentResult, ReviewConfig
from internal.core.agent.events import AgentEvent, AgentEventType, merge_chunks
from internal.core.language_model.factory import LanguageModelFactory
from internal.core.language_model.entities import ModelEntity, ModelFeature
from internal.core.memory import DialogTurn, build_history
from internal.core.retrieval.dataset_retrieval_tool import build_dataset_retrieval_tool
from internal.core.tools.builtin_tools import BuiltinToolFactory
from internal.extension.agent_queue import AgentQueue, QueueSignal
from internal.extension.database import utcnow
from internal.model import Conversation, Message, MessageAgentThought
from internal.model.conversation import DEFAULT_CONVERSATION_NAME, MessageStatus

from .api_tool_service import ApiToolService
from .app_config_service import BoundApiTool, BoundBuiltinTool, Bindings
from .base_service import BaseService
from .retrieval_service import RetrievalService

logger = logging.getLogger(__name__)

# How often a quiet stream wakes to check the run's deadline.
DEADLINE_CHECK_SECONDS = 1.0
# Conversation names are cut to this many characters.
CONVERSATION_NAME_LENGTH = 75
# Run threads are named this, and `agent-<task id>` while they run a task.
RUN_THREAD_NAME = "agent-run"
# A run waits (at most this many seconds) until its stream has sent the first event: started
# at once, it would hold the interpreter lock while the request thread tries to send it.
PING_HEAD_START = 0.05
# A stream sends a fast model's chunks at most this often, merged (fewer writes and wake-ups,
# no difference a reader could see); the first chunk after a pause and the end go out at once.
STREAM_BATCH_WINDOW = 0.01


# A conversation's last answered turns, newest first. Built once, run with parameters: building
# the statement costs more than running it.
_RECENT_TURNS = (
    select(Message.query, Message.answer)
    .where(Message.conversation_id == bindparam("conversation_id"), Message.is_deleted.is_(False), Message.answer != "")
    .order_by(Message.created_at.desc())
    .limit(bindparam("rounds"))
)


@dataclass
class ChatTurn:
    """What a channel (debugger, web app, open API) asks of the agent for one message."""

    app_id: uuid.UUID
    # The app owner's account: its datasets and tools are the ones the agent may use.
    account_id: uuid.UUID
    conversation: Conversation
    invoke_from: str
    created_by: uuid.UUID
    query: str
    config: dict[str, Any]
    bindings: Bindings
    # Who may stop the run (compared as is by the queue).
    owner: str
    image_urls: list[str] = field(default_factory=list)
    # Created for this turn: it has no history to load.
    new_conversation: bool = False


@dataclass
class AgentStream:
    task_id: uuid.UUID
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    events: Iterator[AgentEvent]


@contextmanager
def _thread_named(name: str) -> Iterator[None]:
    """Names the current run thread after its task while it runs it (logs, thread dumps)."""
    thread = threading.current_thread()
    thread.name = name
    try:
        yield
    finally:
        thread.name = RUN_THREAD_NAME


class _TaskSink:
    """The runner's view of its task's queue, and who takes its result."""

    def __init__(self, queue: AgentQueue, task_id: uuid.UUID, on_finish: Callable[[AgentResult], None]):
        self.queue, self.task_id, self.on_finish = queue, task_id, on_finish

    def publish(self, event: AgentEvent) -> None:
        self.queue.publish(self.task_id, event)

    def is_stopped(self) -> bool:
        return self.queue.is_stopped(self.task_id)

    def finish(self, result: AgentResult) -> None:
        self.on_finish(result)


@singleton
@inject
@dataclass
class AgentChatService(BaseService):
    app: Flask
    settings: Settings
    agent_queue: AgentQueue
    model_factory: LanguageModelFactory
    builtin_tool_factory: BuiltinToolFactory
    api_tool_service: ApiToolService
    retrieval_service: RetrievalService

    def __post_init__(self):
        # Runs go to kept threads: `Thread.start` waits until the new thread has run, which
        # under the GIL can hold the request (and its first event) for milliseconds.
        self._runs = ThreadPoolExecutor(
            max_workers=self.settings.agent.agent_max_concurrent_runs, thread_name_prefix=RUN_THREAD_NAME
        )

    def start(self, turn: ChatTurn) -> AgentStream:
        """Everything that can be refused is checked here, before the stream starts."""
        agent_config, model = self._agent_config(turn)
        conversation = turn.conversation
        agent_input = AgentInput(
            task_id=uuid.uuid4(),
            conversation_id=conversation.id,
            message_id=uuid.uuid4(),
            query=turn.query,
            image_urls=turn.image_urls if model.has_feature(ModelFeature.IMAGE_INPUT) else [],
            # Half the context window for history leaves room for the prompt, tools and answer.
            history=[] if turn.new_conversation else self._history(
                conversation.id, turn.config["dialog_round"], model.context_window // 2
            ),
            summary=conversation.summary or "",
        )
        needs_name = conversation.name == DEFAULT_CONVERSATION_NAME and not agent_input.history
        # Nothing may stay open on the request's connection while the stream runs; the run's
        # thread gets ids and plain values only, never this session's objects.
        self.db.session.commit()

        timeout = self.settings.agent.agent_timeout
        deadline = time.monotonic() + timeout
        task_id = agent_input.task_id
        # The queue exists before the run starts and before anyone listens (see AgentQueue).
        self.agent_queue.open(task_id, turn.owner, ttl=timeout + 600)
        ping_sent = threading.Event()
        sink = _TaskSink(self.agent_queue, task_id, partial(self._finish, turn, agent_input, utcnow()))
        run = AgentRun(agent_config, agent_input, sink, deadline)
        self._runs.submit(self._run, run, turn.query, needs_name, ping_sent)
        events = self._stream(run, turn.owner, ping_sent)
        return AgentStream(task_id, agent_input.conversation_id, agent_input.message_id, events)

    def stop(self, task_id: uuid.UUID, owner: str) -> bool:
        return self.agent_queue.stop(task_id, owner)

    # --- building the agent ------------------------------------------------------------------

    def _agent_config(self, turn: ChatTurn) -> tuple[AgentConfig, ModelEntity]:
        config = turn.config
        model_config = config["model_config"]
        resolved = self.model_factory.resolve(
            model_config.get("provider", ""), model_config.get("model", ""), model_config.get("parameters")
        )
        # A model call never outlives the run it belongs to.
        request_timeout = min(self.settings.providers.llm_request_timeout, self.settings.agent.agent_timeout)
        llm = self.model_factory.build(resolved, timeout=request_timeout)
        agent_config = AgentConfig(
            llm=llm,
            native_tool_calling=resolved.model.has_feature(ModelFeature.TOOL_CALL),
            tools=self._tools(turn),
            preset_prompt=config.get("preset_prompt") or "",
            long_term_memory=bool((config.get("long_term_memory") or {}).get("enable")),
            review=ReviewConfig.from_config(config.get("review_config") or {}),
            max_iterations=self.settings.agent.agent_max_iterations,
            tool_workers=self.settings.agent.agent_tool_workers,
            pricing=resolved.model.pricing,
            tool_context=self.app.app_context,
        )
        return agent_config, resolved.model

    def _tools(self, turn: ChatTurn) -> list[BaseTool]:
        tools: list[BaseTool] = []
        for bound in turn.bindings.tools:
            if isinstance(bound, BoundBuiltinTool):
                tools.append(self.builtin_tool_factory.create(bound.provider.name, bound.tool.name, bound.params))
            elif isinstance(bound, BoundApiTool):
                tools.append(self.api_tool_service.langchain_tool(bound.tool, bound.provider))
        if turn.bindings.datasets:
            tools.append(
                build_dataset_retrieval_tool(
                    self.retrieval_service,
                    turn.account_id,
                    [dataset.id for dataset in turn.bindings.datasets],
                    turn.config["retrieval_config"],
                    app_id=turn.app_id,
                )
            )
        # A model can only call tools by distinct names; the first of a name wins.
        unique: dict[str, BaseTool] = {}
        for tool in tools:
            unique.setdefault(tool.name, tool)
        return list(unique.values())

    def _history(self, conversation_id: uuid.UUID, dialog_round: int, max_tokens: int) -> list[BaseMessage]:
        if dialog_round <= 0:
            return []
        rows = self.db.session.execute(_RECENT_TURNS, {"conversation_id": conversation_id, "rounds": dialog_round}).all()
        return build_history([DialogTurn(query, answer) for query, answer in reversed(rows)], dialog_round, max_tokens)

    # --- the stream (request thread) ---------------------------------------------------------------

    def _stream(self, agent_run: AgentRun, owner: str, ping_sent: threading.Event) -> Iterator[AgentEvent]:
        run = agent_run.input
        # The first event goes out before the model is called, with the ids a client needs.
        try:
            yield run.event(AgentEventType.PING)
        finally:
            ping_sent.set()
        ping_interval = self.settings.agent.agent_ping_interval
        last_sent = time.monotonic()
        idle_timeout = min(ping_interval, DEADLINE_CHECK_SECONDS)
        for item in self.agent_queue.listen(run.task_id, idle_timeout, batch_window=STREAM_BATCH_WINDOW):
            now = time.monotonic()
            if item is QueueSignal.STOP_REQUESTED:
                yield self._end_early(agent_run, MessageStatus.STOP)
                return
            if item is QueueSignal.IDLE:
                # A run stuck in a slow call past its deadline: end the stream, stop the run.
                if now > agent_run.deadline + DEADLINE_CHECK_SECONDS:
                    self.agent_queue.stop(run.task_id, owner)
                    yield self._end_early(agent_run, MessageStatus.TIMEOUT, TIMEOUT_MESSAGE)
                    return
                if now - last_sent >= ping_interval:
                    last_sent = now
                    yield run.event(AgentEventType.PING)
                continue
            last_sent = now
            yield from merge_chunks(item)

    # --- the run (its own thread) ------------------------------------------------------------------

    def _end_early(self, agent_run: AgentRun, status: str, error: str = "") -> AgentEvent:
        """Ends the run from the stream: its message is stored before the returned last event is
        sent, though the run's thread may still wait for the model. A run that had already ended
        keeps its own outcome."""
        with self.app.app_context():
            result = agent_run.end_early(status, error)
        return self._last_event(agent_run.input, result)

    def _run(self, agent_run: AgentRun, query: str, needs_name: bool, ping_sent: threading.Event) -> None:
        agent_config, agent_input = agent_run.config, agent_run.input
        task_id = agent_input.task_id
        ping_sent.wait(PING_HEAD_START)
        try:
            with _thread_named(f"agent-{task_id}"), self.app.app_context():
                result = AgentRunner().run(agent_run)
                try:
                    if needs_name:
                        self._name_conversation(agent_config, agent_input.conversation_id, query)
                    if agent_config.long_term_memory and result.status == MessageStatus.NORMAL and result.answer:
                        self._summarize(
                            agent_config, agent_input.conversation_id, agent_input.summary, query, result.answer
                        )
                except Exception:
                    logger.exception("Updating conversation %s after task %s failed", agent_input.conversation_id, task_id)
                    self.db.session.rollback()
        except Exception as exc:  # logged here: a pool thread's exception would vanish with its future
            logger.exception("Agent task %s failed", task_id)
            # Ends a stream still waiting (a closed task ignores it).
            self.agent_queue.publish(task_id, agent_input.event(AgentEventType.ERROR, observation=describe_error(exc)))
            self.agent_queue.close(task_id)

    def _finish(self, turn: ChatTurn, agent_input: AgentInput, created_at: datetime, result: AgentResult) -> None:
        """Stores the message and its steps, then ends the stream (whether storing worked or not)."""
        try:
            self._store(turn, agent_input, result, created_at)
        except Exception:
            logger.exception("Storing the message of task %s failed", agent_input.task_id)
        finally:
            self.agent_queue.publish(agent_input.task_id, self._last_event(agent_input, result))
            self.agent_queue.close(agent_input.task_id)

    @staticmethod
    def _last_event(agent_input: AgentInput, result: AgentResult) -> AgentEvent:
        kind = {
            MessageStatus.NORMAL: AgentEventType.AGENT_END,
            MessageStatus.STOP: AgentEventType.STOP,
            MessageStatus.TIMEOUT: AgentEventType.TIMEOUT,
            MessageStatus.ERROR: AgentEventType.ERROR,
        }[result.status]
        return agent_input.event(
            kind,
            observation=result.error,
            total_token_count=result.total_tokens,
            total_price=result.total_price,
            latency=result.latency,
        )

    def _store(self, turn: ChatTurn, agent_input: AgentInput, result: AgentResult, created_at: datetime) -> None:
        message_id = agent_input.message_id
        message = {
            "id": message_id,
            "app_id": turn.app_id,
            "conversation_id": agent_input.conversation_id,
            "invoke_from": turn.invoke_from,
            "created_by": turn.created_by,
            "query": turn.query,
            "image_urls": agent_input.image_urls,
            "answer": result.answer,
            "message_token_count": result.input_tokens,
            "answer_token_count": result.output_tokens,
            "total_token_count": result.total_tokens,
            "total_price": result.total_price,
            "latency": result.latency,
            "status": result.status,
            "error": result.error,
            "created_at": created_at,
        }
        thoughts = [
            {
                "id": event.id,
                "app_id": turn.app_id,
                "conversation_id": agent_input.conversation_id,
                "message_id": message_id,
                "position": position,
                "event": event.event.value,
                "thought": event.thought,
                "observation": event.observation,
                "tool": event.tool,
                "tool_input": event.tool_input,
                "total_token_count": event.total_token_count,
                "total_price": event.total_price,
                "latency": event.latency,
                "created_at": created_at,
            }
            for position, event in enumerate(result.thoughts, start=1)
        ]
        # Table-level INSERTs with the rows as parameters on a connection of their own: the
        # statements stay cached and neither the ORM's unit of work nor a session, which would
        # cost more than the statements, is involved.
        with self.db.engine.begin() as connection:
            connection.execute(insert(Message.__table__), [message])
            if thoughts:
                connection.execute(insert(MessageAgentThought.__table__), thoughts)

    def _name_conversation(self, agent_config: AgentConfig, conversation_id: uuid.UUID, query: str) -> None:
        reply = agent_config.llm.invoke([SystemMessage(prompts.CONVERSATION_NAME_PROMPT), HumanMessage(query)])
        name = " ".join(reply.text.split()).strip(" \"'“”《》。.")[:CONVERSATION_NAME_LENGTH]
        if name:
            with self.db.auto_commit():
                # Only a name nobody has set in the meantime is replaced.
                self.db.session.execute(
                    update(Conversation)
                    .where(Conversation.id == conversation_id, Conversation.name == DEFAULT_CONVERSATION_NAME)
                    .values(name=name)
                )

    def _summarize(self, agent_config: AgentConfig, conversation_id: uuid.UUID, summary: str, query: str, answer: str) -> None:
        prompt = prompts.SUMMARY_PROMPT.format(summary=summary or "(empty)", query=query, answer=answer)
        new_summary = agent_config.llm.invoke([HumanMessage(prompt)]).text.strip()
        if new_summary:
            with self.db.auto_commit():
                self.db.session.execute(update(Conversation).where(Conversation.id == conversation_id).values(summary=new_summary))
