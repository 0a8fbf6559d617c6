"""One chat turn with an app, whichever channel asks for it: the console's debugger, a web app,
the open API, WeChat or the assistant. Every door is a thin adapter over `ChatService`.

A turn is (app, configuration, caller, channel, conversation, stream or blocking). The debugger
runs the app's draft configuration and only for the app's owner; every other channel runs the
published one (who may reach the app is the door's rule: the open API the key owner's apps, a
web app anyone signed in). The assistant agent runs a configuration of its own (`ChatConfig`) on
no app: its conversations and messages have no `app_id`. The caller is an account or an end
user; a conversation named by the request must be the caller's, on this app (or no app) and
channel. Everything that can be refused is checked before the run starts, so a stream never
opens for bad input.

The request thread loads the turn's context in one query, builds the agent and starts the run on
a kept thread; the run gets ids and plain values only, never ORM rows. The run stores the
message, its steps and its app's analysis rollup (one transaction) before it publishes the last
event, so a client that saw `agent_end` finds the message stored; then it names a new
conversation and updates the long-term memory, off the stream. Blocking mode drains the same run's events and answers with the stored message.
"""

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from injector import inject, singleton
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.tools import BaseTool
from sqlalchemy import ColumnElement, Update, and_, bindparam, insert, select, update

from config import Settings
from internal.aistack.resources.quotas import AGENT_RUNTIME, ResourceQuotas
from internal.core.agent import prompts
from internal.core.agent.agent_runner import TIMEOUT_MESSAGE, AgentRun, AgentRunner, describe_error
from internal.core.agent.entities import AgentConfig, AgentInput, AgentResult, ReviewConfig
from internal.core.agent.events import AgentEvent, AgentEventType, merge_chunks
from internal.core.language_model.entities import ModelEntity, ModelFeature
from internal.core.language_model.factory import LanguageModelFactory
from internal.core.memory import DialogTurn, build_history
from internal.core.retrieval.dataset_retrieval_tool import build_dataset_retrieval_tool
from internal.core.run_stream import RunStreamer
from internal.core.tools.builtin_tools import BuiltinToolFactory
from internal.exception import FailException, NotFoundException
from internal.extension.database import utcnow
from internal.model import Account, App, AppConfig, Conversation, Message, MessageAgentThought
from internal.model.app import AppConfigKind
from internal.model.conversation import DEFAULT_CONVERSATION_NAME, InvokeFrom, MessageStatus

from .analysis_rollup import roll_up_message
from .api_tool_service import ApiToolService
from .app_base_service import APP_NOT_FOUND
from .app_config_service import AppConfigService, Bindings, BoundApiTool, BoundBuiltinTool
from .base_service import BaseService
from .open_api_limit_service import RunSlot
from .retrieval_service import RetrievalService
from .workflow_run_service import WorkflowRunService

logger = logging.getLogger(__name__)

CONVERSATION_NOT_FOUND = "该会话不存在或已被删除"
NOT_PUBLISHED = "该应用未发布，请发布后重试"
# Conversation names are cut to this many characters.
CONVERSATION_NAME_LENGTH = 75

__all__ = [
    "AgentStream",
    "ChatCaller",
    "ChatConfig",
    "ChatRequest",
    "ChatResult",
    "ChatService",
    "InvokeFrom",
    "point_assistant_conversation",
    "point_debug_conversation",
]


@dataclass(frozen=True)
class ChatCaller:
    """Who is chatting: an account (debugger, web app) or an end user of the app (open API,
    WeChat; the adapter has checked it belongs to the app). Exactly one of the two ids."""

    account_id: uuid.UUID | None = None
    end_user_id: uuid.UUID | None = None

    def __post_init__(self):
        if (self.account_id is None) == (self.end_user_id is None):
            raise ValueError("a chat caller is an account or an end user, not both or neither")

    @property
    def id(self) -> uuid.UUID:
        return self.account_id or self.end_user_id

    @property
    def task_owner(self) -> str:
        """Who may stop the caller's runs, as the run stream compares it."""
        return f"account:{self.account_id}" if self.account_id else f"end_user:{self.end_user_id}"

    def owns(self, conversation: Conversation) -> bool:
        return conversation.created_by == self.id and conversation.end_user_id == self.end_user_id


@dataclass(frozen=True)
class ChatConfig:
    """A configuration that is no app's (the assistant agent's): app-config values (the keys a
    turn reads: `model_config`, `dialog_round`, `preset_prompt`, `long_term_memory`,
    `review_config`) and the tools, already built for the caller."""

    values: dict[str, Any]
    tools: list[BaseTool]


@dataclass
class ChatRequest:
    # None with `config`: the turn runs on no app.
    app_id: uuid.UUID | None
    # The debugger runs the draft configuration, every other channel the published one.
    invoke_from: InvokeFrom
    caller: ChatCaller
    query: str
    # None: a new conversation for this caller (the debugger: the app's debug conversation,
    # started when it has none); else one of the caller's on this app (or no app) and channel.
    conversation_id: uuid.UUID | None = None
    # Set: the turn runs this configuration instead of an app's.
    config: ChatConfig | None = None
    image_urls: list[str] = field(default_factory=list)
    # Earlier rounds the caller brings along for a new conversation (the OpenAI-compatible
    # API's `messages`), oldest first; a named conversation's own history is used instead.
    history: list[DialogTurn] = field(default_factory=list)
    # Taken by the door before the turn (the open API's per-app limit on runs at once): released
    # when the run's thread ends, or at once when the turn is refused before it starts.
    run_slot: RunSlot | None = None
    # Notes for the model on this turn only, in the system prompt (AI Stack's session context).
    notes: list[str] = field(default_factory=list)


@dataclass
class AgentStream:
    task_id: uuid.UUID
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    events: Iterator[AgentEvent]
    end_user_id: uuid.UUID | None = None


@dataclass
class ChatResult:
    """A finished turn as stored: the message and its steps (`agent_thoughts` as the API shows
    them, by position)."""

    id: uuid.UUID
    conversation_id: uuid.UUID
    task_id: uuid.UUID
    end_user_id: uuid.UUID | None
    query: str
    image_urls: list[str]
    answer: str
    status: str
    error: str
    latency: float
    total_token_count: int
    total_price: float
    agent_thoughts: list[dict[str, Any]]
    created_at: int


@dataclass(frozen=True)
class _TurnRecord:
    """What the run's thread stores for its turn: ids and plain values only."""

    app_id: uuid.UUID | None
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    invoke_from: str
    created_by: uuid.UUID
    end_user_id: uuid.UUID | None
    query: str
    image_urls: list[str]
    created_at: datetime


def point_debug_conversation(apps: ColumnElement[bool], conversation_id: uuid.UUID | None) -> Update:
    """Set which conversation the matching apps debug in (None: none). Chatting is not editing
    an app, so its updated_at stays."""
    return update(App).where(apps).values(debug_conversation_id=conversation_id, updated_at=App.updated_at)


def point_assistant_conversation(accounts: ColumnElement[bool], conversation_id: uuid.UUID | None) -> Update:
    """Set which conversation the matching accounts talk to the assistant agent in (None: none)."""
    return (
        update(Account)
        .where(accounts)
        .values(assistant_agent_conversation_id=conversation_id, updated_at=Account.updated_at)
    )


def _context_statement(conversation_id: ColumnElement):
    """The app, the configuration the channel runs and the conversation, in one round trip (a
    turn's hot path). Built once, run with parameters: building costs more than running it."""
    return (
        select(App, AppConfig, Conversation)
        .outerjoin(AppConfig, and_(AppConfig.app_id == App.id, AppConfig.kind == bindparam("kind")))
        .outerjoin(
            Conversation,
            and_(Conversation.id == conversation_id, Conversation.app_id == App.id, Conversation.is_deleted.is_(False)),
        )
        .where(App.id == bindparam("app_id"))
    )


_CONTEXT = _context_statement(bindparam("conversation_id"))
_DEBUG_CONTEXT = _context_statement(App.debug_conversation_id)

# A conversation's last answered turns, newest first.
_RECENT_TURNS = (
    select(Message.query, Message.answer)
    .where(Message.conversation_id == bindparam("conversation_id"), Message.is_deleted.is_(False), Message.answer != "")
    .order_by(Message.created_at.desc())
    .limit(bindparam("rounds"))
)


@dataclass
class _Turn:
    """A turn ready to run: the agent's run and what its thread stores."""

    run: AgentRun
    record: _TurnRecord
    needs_name: bool
    owner: str
    run_slot: RunSlot | None = None


@singleton
@inject
@dataclass
class ChatService(BaseService):
    app: Flask
    settings: Settings
    run_streamer: RunStreamer
    model_factory: LanguageModelFactory
    builtin_tool_factory: BuiltinToolFactory
    api_tool_service: ApiToolService
    retrieval_service: RetrievalService
    workflow_run_service: WorkflowRunService
    app_config_service: AppConfigService
    quotas: ResourceQuotas

    # --- the doors' interface ----------------------------------------------------------------------

    def stream(self, req: ChatRequest) -> AgentStream:
        """Starts the turn and streams its events; everything that can be refused is refused here."""
        return self._begin(req)[1]

    def blocking(self, req: ChatRequest) -> ChatResult:
        """Runs the turn to its end (the same run and events as `stream`) and answers with the
        stored message."""
        turn, stream = self._begin(req)
        for _ in stream.events:
            pass
        return self._result(turn, turn.run.result)

    def stop(self, task_id: uuid.UUID, caller: ChatCaller) -> bool:
        """Stops one of the caller's runs; False when the caller has no such run."""
        return self.run_streamer.stop(task_id, caller.task_owner)

    def new_conversation(self, app_id: uuid.UUID | None, invoke_from: InvokeFrom, caller: ChatCaller) -> Conversation:
        """A new conversation of the caller (the debugger's becomes the app's debug conversation,
        the assistant's the account's assistant conversation). The caller commits: a chat refused
        before it starts leaves no conversation behind."""
        conversation = Conversation(
            id=uuid.uuid4(),
            app_id=app_id,
            invoke_from=invoke_from,
            created_by=caller.id,
            end_user_id=caller.end_user_id,
        )
        self.db.session.add(conversation)
        if invoke_from == InvokeFrom.DEBUGGER:
            self.db.session.execute(point_debug_conversation(App.id == app_id, conversation.id))
        elif invoke_from == InvokeFrom.ASSISTANT_AGENT:
            self.db.session.execute(point_assistant_conversation(Account.id == caller.account_id, conversation.id))
        return conversation

    # --- preparing a turn (request thread) ---------------------------------------------------------

    def _begin(self, req: ChatRequest) -> tuple[_Turn, AgentStream]:
        try:
            turn = self._prepare(req)
            return turn, self._start(turn, req.caller)
        except BaseException:
            if req.run_slot is not None:
                req.run_slot.release()
            raise

    def _prepare(self, req: ChatRequest) -> _Turn:
        if req.config is None:
            app, config, conversation = self._context(req)
            values, bindings = self.app_config_service.runtime_config(app.account_id, config)
            app_id, tools = app.id, self._tools(app, values, bindings)
        else:
            values, tools = req.config.values, req.config.tools
            app_id, conversation = None, self._conversation_of_no_app(req)
        agent_config, model = self._agent_config(values, tools)
        new_conversation = conversation is None
        if new_conversation:
            conversation = self.new_conversation(app_id, req.invoke_from, req.caller)
        agent_input = AgentInput(
            task_id=uuid.uuid4(),
            conversation_id=conversation.id,
            message_id=uuid.uuid4(),
            query=req.query,
            image_urls=list(req.image_urls) if model.has_feature(ModelFeature.IMAGE_INPUT) else [],
            # Half the context window for history leaves room for the prompt, tools and answer.
            history=build_history(req.history, values["dialog_round"], model.context_window // 2)
            if new_conversation
            else self._history(conversation.id, values["dialog_round"], model.context_window // 2),
            summary=conversation.summary or "",
            notes=list(req.notes),
        )
        record = _TurnRecord(
            app_id=app_id,
            conversation_id=conversation.id,
            message_id=agent_input.message_id,
            invoke_from=str(req.invoke_from),
            created_by=req.caller.id,
            end_user_id=req.caller.end_user_id,
            query=req.query,
            image_urls=agent_input.image_urls,
            created_at=utcnow(),
        )
        needs_name = (conversation.name or DEFAULT_CONVERSATION_NAME) == DEFAULT_CONVERSATION_NAME and not agent_input.history
        # Nothing may stay open on the request's connection while the run goes on.
        self.db.session.commit()
        deadline = self.run_streamer.deadline()
        sink = self.run_streamer.sink(agent_input.task_id, partial(self._finish, record, agent_input))
        run = AgentRun(agent_config, agent_input, sink, deadline)
        return _Turn(run=run, record=record, needs_name=needs_name, owner=req.caller.task_owner, run_slot=req.run_slot)

    def _context(self, req: ChatRequest) -> tuple[App, AppConfig, Conversation | None]:
        debug = req.invoke_from == InvokeFrom.DEBUGGER
        kind = AppConfigKind.DRAFT if debug else AppConfigKind.PUBLISHED
        if debug and req.conversation_id is None:
            row = self.db.session.execute(_DEBUG_CONTEXT, {"app_id": req.app_id, "kind": kind}).first()
        else:
            row = self.db.session.execute(
                _CONTEXT, {"app_id": req.app_id, "kind": kind, "conversation_id": req.conversation_id}
            ).first()
        if row is None or (debug and row[0].account_id != req.caller.account_id):
            raise NotFoundException(APP_NOT_FOUND)
        app, config, conversation = row
        if config is None:
            raise FailException(NOT_PUBLISHED)
        if conversation is not None and not (req.caller.owns(conversation) and conversation.invoke_from == req.invoke_from):
            conversation = None
        if conversation is None and req.conversation_id is not None:
            raise NotFoundException(CONVERSATION_NOT_FOUND)
        return app, config, conversation

    def _conversation_of_no_app(self, req: ChatRequest) -> Conversation | None:
        """The named conversation of a turn on no app: the caller's, on this channel."""
        if req.conversation_id is None:
            return None
        conversation = self.db.session.get(Conversation, req.conversation_id)
        if (
            conversation is None
            or conversation.is_deleted
            or conversation.app_id is not None
            or conversation.invoke_from != req.invoke_from
            or not req.caller.owns(conversation)
        ):
            raise NotFoundException(CONVERSATION_NOT_FOUND)
        return conversation

    def _agent_config(self, config: dict[str, Any], tools: list[BaseTool]) -> tuple[AgentConfig, ModelEntity]:
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
            tools=tools,
            preset_prompt=config.get("preset_prompt") or "",
            long_term_memory=bool((config.get("long_term_memory") or {}).get("enable")),
            review=ReviewConfig.from_config(config.get("review_config") or {}),
            max_iterations=self.settings.agent.agent_max_iterations,
            tool_workers=self.quotas.concurrent_runs(AGENT_RUNTIME, self.settings.agent.agent_tool_workers),
            pricing=resolved.model.pricing,
            tool_context=self.app.app_context,
        )
        return agent_config, resolved.model

    def _tools(self, app: App, config: dict[str, Any], bindings: Bindings) -> list[BaseTool]:
        """The app's tools; its owner's datasets and API tools are the ones the agent may use."""
        tools: list[BaseTool] = []
        for bound in bindings.tools:
            if isinstance(bound, BoundBuiltinTool):
                tools.append(self.builtin_tool_factory.create(bound.provider.name, bound.tool.name, bound.params))
            elif isinstance(bound, BoundApiTool):
                tools.append(self.api_tool_service.langchain_tool(bound.tool, bound.provider))
        # Bindings hold only published workflows of the app's account (pruned when read).
        tools.extend(self.workflow_run_service.agent_tools(app.account_id, bindings.workflows))
        if bindings.datasets:
            tools.append(
                build_dataset_retrieval_tool(
                    self.retrieval_service,
                    app.account_id,
                    [dataset.id for dataset in bindings.datasets],
                    config["retrieval_config"],
                    app_id=app.id,
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

    def _start(self, turn: _Turn, caller: ChatCaller) -> AgentStream:
        agent_run = turn.run
        agent_input = agent_run.input
        events = self.run_streamer.start(
            agent_input.task_id,
            turn.owner,
            partial(self._run, turn),
            deadline=agent_run.deadline,
            ping=partial(agent_input.event, AgentEventType.PING),
            end_early=partial(self._end_early, agent_run),
            on_error=lambda exc: agent_input.event(AgentEventType.ERROR, observation=describe_error(exc)),
            merge=merge_chunks,
        )
        return AgentStream(
            agent_input.task_id, agent_input.conversation_id, agent_input.message_id, events, caller.end_user_id
        )

    # --- the run (its own thread) ------------------------------------------------------------------

    def _run(self, turn: _Turn) -> None:
        agent_run = turn.run
        agent_config, agent_input = agent_run.config, agent_run.input
        try:
            result = AgentRunner().run(agent_run)
        finally:
            if turn.run_slot is not None:
                turn.run_slot.release()
        try:
            if turn.needs_name:
                self._name_conversation(agent_config, agent_input.conversation_id, agent_input.query)
            if agent_config.long_term_memory and result.status == MessageStatus.NORMAL and result.answer:
                self._summarize(agent_config, agent_input.conversation_id, agent_input.summary, agent_input.query, result.answer)
        except Exception:
            logger.exception("Updating conversation %s after task %s failed", agent_input.conversation_id, agent_input.task_id)
            self.db.session.rollback()

    def _end_early(self, agent_run: AgentRun, timed_out: bool) -> AgentEvent:
        """Ends the run from the stream (a stop, or past the deadline): its message is stored
        before the returned last event is sent, though the run's thread may still wait for the
        model. A run that had already ended keeps its own outcome."""
        status, error = (MessageStatus.TIMEOUT, TIMEOUT_MESSAGE) if timed_out else (MessageStatus.STOP, "")
        with self.app.app_context():
            result = agent_run.end_early(status, error)
        return _last_event(agent_run.input, result)

    def _finish(self, record: _TurnRecord, agent_input: AgentInput, result: AgentResult) -> AgentEvent:
        """Stores the message and its steps; the returned last event ends the stream (whether
        storing worked or not)."""
        try:
            self._store(record, result)
        except Exception:
            logger.exception("Storing the message of task %s failed", agent_input.task_id)
        return _last_event(agent_input, result)

    def _store(self, record: _TurnRecord, result: AgentResult) -> None:
        message = {
            "id": record.message_id,
            "app_id": record.app_id,
            "conversation_id": record.conversation_id,
            "invoke_from": record.invoke_from,
            "created_by": record.created_by,
            "end_user_id": record.end_user_id,
            "query": record.query,
            "image_urls": record.image_urls,
            "answer": result.answer,
            "message_token_count": result.input_tokens,
            "answer_token_count": result.output_tokens,
            "total_token_count": result.total_tokens,
            "total_price": result.total_price,
            "latency": result.latency,
            "status": result.status,
            "error": result.error,
            "created_at": record.created_at,
        }
        owner = {
            "app_id": record.app_id,
            "conversation_id": record.conversation_id,
            "message_id": record.message_id,
            "created_at": record.created_at,
        }
        thoughts = [
            {**_thought_fields(position, event), **owner} for position, event in enumerate(result.thoughts, start=1)
        ]
        # Table-level INSERTs with the rows as parameters on a connection of their own: the
        # statements stay cached and neither the ORM's unit of work nor a session, which would
        # cost more than the statements, is involved.
        with self.db.engine.begin() as connection:
            connection.execute(insert(Message.__table__), [message])
            if thoughts:
                connection.execute(insert(MessageAgentThought.__table__), thoughts)
            roll_up_message(connection, message, ZoneInfo(self.settings.analysis.analysis_timezone))

    @staticmethod
    def _result(turn: _Turn, result: AgentResult) -> ChatResult:
        record = turn.record
        created_at = int(record.created_at.timestamp())
        return ChatResult(
            id=record.message_id,
            conversation_id=record.conversation_id,
            task_id=turn.run.input.task_id,
            end_user_id=record.end_user_id,
            query=record.query,
            image_urls=list(record.image_urls),
            answer=result.answer,
            status=result.status,
            error=result.error,
            latency=result.latency,
            total_token_count=result.total_tokens,
            total_price=result.total_price,
            agent_thoughts=[
                {**_thought_fields(position, event), "created_at": created_at}
                for position, event in enumerate(result.thoughts, start=1)
            ],
            created_at=created_at,
        )

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


def _thought_fields(position: int, event: AgentEvent) -> dict[str, Any]:
    """A step of the answer as stored and as a blocking turn shows it."""
    return {
        "id": event.id,
        "position": position,
        "event": event.event.value,
        "thought": event.thought,
        "observation": event.observation,
        "tool": event.tool,
        "tool_input": event.tool_input,
        "total_token_count": event.total_token_count,
        "total_price": event.total_price,
        "latency": event.latency,
    }


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
