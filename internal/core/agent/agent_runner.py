"""Runs an agent as a LangGraph graph and publishes every step as it happens.

    review_input ─(refused)─> END                   (apps that review their inputs)
        └─> recall_memory                             (apps with long-term memory)
              └─> call_model ─(tool calls)─> call_tools ─> call_model …
                      └─(answer)─> END

Each shape is compiled once; a run travels through it in the `configurable` of the call.
Models with native tool calling get the tools bound; others read them from a ReAct prompt and
answer with `Action:` lines. A stop request or the deadline ends the run at the next chunk or
step; the stream may also end it at once (`end_early`) while the model is still silent. The sink
gets the result as soon as the outcome is known (to store it and publish the terminal event);
the graph winds down after.
"""

import json
import operator
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from functools import cache
from typing import Annotated, Any, Literal, Protocol, TypedDict

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage, ToolCall, ToolMessage
from langchain_core.messages.ai import add_ai_message_chunks
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command

from internal.core.retrieval.dataset_retrieval_tool import TOOL_NAME as DATASET_RETRIEVAL_TOOL
from internal.core.text_processing.tokens import count_tokens
from internal.core.workflow.workflow_tool import WORKFLOW_NODE_EVENT, WorkflowStep
from internal.model.conversation import MessageStatus

from . import prompts, react
from .entities import AgentConfig, AgentInput, AgentResult
from .events import AgentEvent, AgentEventType
from .review import OutputMasker, blocks_input


TIMEOUT_MESSAGE = "Agent运行超时"


class AgentEventSink(Protocol):
    """Where a run's events go (the task's queue), where it learns it was stopped, and where its
    outcome goes once, as soon as it is known (the graph winds down after)."""

    def publish(self, event: AgentEvent) -> None: ...

    def is_stopped(self) -> bool: ...

    def finish(self, result: AgentResult) -> None: ...


class AgentStopped(Exception):
    pass


class AgentTimedOut(Exception):
    pass


class AgentState(TypedDict):
    messages: Annotated[list[BaseMessage], operator.add]
    pending_calls: list[ToolCall]
    iterations: int
    refused: bool


class AgentRun:
    """One run: its settings, where its events go, and what it has done so far."""

    def __init__(self, config: AgentConfig, agent_input: AgentInput, sink: AgentEventSink, deadline: float):
        self.config = config
        self.input = agent_input
        self.sink = sink
        self.deadline = deadline
        self.started = time.perf_counter()
        self.result = AgentResult()
        self.masker = OutputMasker(config.review)
        self.tools_by_name = {tool.name: tool for tool in config.tools}
        self._bound_llm = None
        self.finished = False
        # Held while a step or the result is completed: `end_early` may come from another thread.
        # Chunks take no lock (appending a part is atomic); steps and the end take it once each.
        self._lock = threading.RLock()
        # The answer step being streamed: its id, start and text so far.
        self._answer_step: tuple[uuid.UUID, float, list[str]] | None = None

    # --- events ---------------------------------------------------------------------------------

    def event(self, kind: AgentEventType, **fields: Any) -> AgentEvent:
        return self.input.event(kind, **fields)

    def record(self, event: AgentEvent, publish: bool = True) -> None:
        """A completed step: published (unless its chunks already were) and kept for storing."""
        with self._lock:
            if publish:
                self.sink.publish(event)
            self.result.thoughts.append(event)

    def check(self) -> None:
        if self.sink.is_stopped():
            raise AgentStopped()
        if time.monotonic() > self.deadline:
            raise AgentTimedOut()

    # --- steps -----------------------------------------------------------------------------------

    def refuse(self) -> None:
        answer = self.config.review.preset_response
        self.result.answer = answer
        self.record(self.event(AgentEventType.AGENT_MESSAGE, thought=answer, answer=answer))

    def recall_memory(self) -> list[BaseMessage]:
        """The long-term memory summary, published as recalled, and the prompt that carries it."""
        summary = self.input.summary
        self.record(self.event(AgentEventType.LONG_TERM_MEMORY_RECALL, observation=summary))
        return self.prompt(summary)

    def prompt(self, summary: str | None = None) -> list[BaseMessage]:
        """The model's input: the system prompt (with the summary when recalled), history, query."""
        system = prompts.system_prompt(self.config.preset_prompt, summary, self.input.notes)
        if self.config.tools and not self.config.native_tool_calling:
            system += prompts.react_prompt(self.config.tools)
        return [SystemMessage(system), *self.input.history, HumanMessage(self._human_content())]

    def call_model(self, messages: list[BaseMessage], iterations: int) -> tuple[BaseMessage, list[ToolCall]]:
        self.check()
        # The last round gets no tools, so a run always ends with an answer.
        use_tools = bool(self.config.tools) and iterations + 1 < self.config.max_iterations
        llm = self._llm_with_tools() if use_tools and self.config.native_tool_calling else self.config.llm
        reads_actions = use_tools and not self.config.native_tool_calling
        step_id, step_start = uuid.uuid4(), time.perf_counter()
        chunks: list[AIMessageChunk] = []
        held = ""  # ReAct: the start of a reply that may still turn out to be `Action:` lines
        answering = not reads_actions
        for chunk in llm.stream(messages):
            self.check()
            chunks.append(chunk)
            if chunk.tool_call_chunks:
                answering = False  # text before native tool calls was already streamed
            text = chunk.text
            if not text:
                continue
            if answering:
                self._stream_answer(step_id, step_start, text)
            elif reads_actions:
                held += text
                head = held.lstrip()
                if head.startswith(react.ACTION_MARK) or react.may_be_action(head):
                    continue
                answering = True
                self._stream_answer(step_id, step_start, held)
                held = ""
        # Merged once: adding chunk by chunk would copy the growing message every time.
        merged = add_ai_message_chunks(chunks[0], *chunks[1:]) if chunks else AIMessageChunk(content="")

        if reads_actions:
            calls = react.parse_actions(held) if held else []
            if held and not calls:
                self._stream_answer(step_id, step_start, held)
            reply: BaseMessage = AIMessage(content=merged.text)
        else:
            calls = list(merged.tool_calls)
            reply = AIMessage(content=merged.content, tool_calls=calls) if calls else AIMessage(content=merged.content)
        tokens, price = self._usage(messages, merged)
        latency = time.perf_counter() - step_start
        # Text streamed before tool calls is a step of its own; the calls are the next one.
        self._finish_answer_step(tokens=0 if calls else tokens, price=0.0 if calls else price)
        if calls:
            thought = json.dumps([{**call, "type": "tool_call"} for call in calls], ensure_ascii=False)
            self.record(
                self.event(
                    AgentEventType.AGENT_THOUGHT, thought=thought, latency=latency,
                    total_token_count=tokens, total_price=price,
                )
            )
        return reply, calls

    def call_tools(self, calls: Sequence[ToolCall]) -> list[BaseMessage]:
        self.check()
        outcomes: dict[int, tuple[str, bool]] = {}
        workers = min(len(calls), self.config.tool_workers)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="agent-tool") as pool:
            futures = {pool.submit(self._invoke_tool, call): index for index, call in enumerate(calls)}
            for future in as_completed(futures):
                event, succeeded = future.result()
                self.record(event)
                outcomes[futures[future]] = (event.observation, succeeded)
        self.check()
        if self.config.native_tool_calling:
            return [
                ToolMessage(outcomes[i][0], tool_call_id=call["id"], name=call["name"], status="success" if outcomes[i][1] else "error")
                for i, call in enumerate(calls)
            ]
        observations = "\n\n".join(
            prompts.REACT_OBSERVATION.format(tool=call["name"], observation=outcomes[i][0]) for i, call in enumerate(calls)
        )
        return [HumanMessage(observations)]

    def finish(self, status: str, error: str = "") -> AgentResult:
        """Ends the run with `status` and hands the result to the sink; later calls change nothing."""
        return self._end(status, error, early=False)

    def end_early(self, status: str, error: str = "") -> AgentResult:
        """Ends the run from another thread (the stream, on a stop or past the deadline) while the
        run's own thread may still wait for the model: the result is what was published so far
        (text the output review still holds back is dropped), handed to the sink at once. The
        run's thread notices at its next check and changes nothing."""
        return self._end(status, error, early=True)

    def _end(self, status: str, error: str, early: bool) -> AgentResult:
        with self._lock:
            if self.finished:
                return self.result
            self.finished = True
            self._finish_answer_step(tokens=0, price=0.0, early=early)
            self.result.status, self.result.error = status, error
            self.result.latency = time.perf_counter() - self.started
            self.sink.finish(self.result)
            return self.result

    # --- helpers ---------------------------------------------------------------------------------

    def _human_content(self) -> str | list[dict[str, Any]]:
        if not self.input.image_urls:
            return self.input.query
        return [
            {"type": "text", "text": self.input.query},
            *({"type": "image_url", "image_url": {"url": url}} for url in self.input.image_urls),
        ]

    def _llm_with_tools(self):
        if self._bound_llm is None:
            self._bound_llm = self.config.llm.bind_tools(self.config.tools)
        return self._bound_llm

    def _stream_answer(self, step_id: uuid.UUID, step_start: float, text: str) -> None:
        if self._answer_step is None:
            self._answer_step = (step_id, step_start, [])
        masked = self.masker.feed(text)
        if masked:
            self._publish_chunk(masked)

    def _publish_chunk(self, text: str) -> None:
        step_id, step_start, parts = self._answer_step
        parts.append(text)
        self.sink.publish(
            self.event(
                AgentEventType.AGENT_MESSAGE, id=step_id, thought=text, answer=text,
                latency=time.perf_counter() - step_start,
            )
        )

    def _finish_answer_step(self, tokens: int, price: float, early: bool = False) -> None:
        """Records the answer streamed so far as a step. `early` (another thread ends the run):
        the text the masker holds back is dropped and the step stays open, since the run's
        thread may still be streaming into it."""
        with self._lock:
            if self._answer_step is None:
                return
            if not early:
                rest = self.masker.flush()
                if rest:
                    self._publish_chunk(rest)
            step_id, step_start, parts = self._answer_step
            if not early:
                self._answer_step = None
            answer = "".join(parts)
            self.result.answer += answer
            self.record(
                self.event(
                    AgentEventType.AGENT_MESSAGE, id=step_id, thought=answer, answer=answer,
                    latency=time.perf_counter() - step_start, total_token_count=tokens, total_price=price,
                ),
                publish=False,
            )

    def _usage(self, messages: list[BaseMessage], reply: AIMessageChunk) -> tuple[int, float]:
        """Tokens and price of one model call: the provider's usage, or counted offline."""
        usage = reply.usage_metadata
        if usage and (usage.get("input_tokens") or usage.get("output_tokens")):
            input_tokens, output_tokens = usage.get("input_tokens", 0), usage.get("output_tokens", 0)
        else:
            input_tokens = sum(count_tokens(message.text) for message in messages)
            output_tokens = count_tokens(reply.text) + sum(
                count_tokens(json.dumps(call["args"], ensure_ascii=False)) for call in reply.tool_calls
            )
        pricing = self.config.pricing
        price = (input_tokens * pricing.input + output_tokens * pricing.output) * pricing.unit
        self.result.input_tokens += input_tokens
        self.result.output_tokens += output_tokens
        self.result.total_price += price
        return input_tokens + output_tokens, price

    def _invoke_tool(self, call: ToolCall) -> tuple[AgentEvent, bool]:
        name, args = call["name"], call.get("args") or {}
        kind = AgentEventType.DATASET_RETRIEVAL if name == DATASET_RETRIEVAL_TOOL else AgentEventType.AGENT_ACTION
        started = time.perf_counter()
        tool = self.tools_by_name.get(name)
        succeeded = False
        if tool is None:
            observation = f"Error: there is no tool named {name}; use one of: {', '.join(self.tools_by_name)}"
        else:
            try:
                with self.config.tool_context():
                    output = tool.invoke(args, config={"callbacks": [_ToolSteps(self)]})
                observation = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False, default=str)
                succeeded = True
            except Exception as exc:  # a failing tool is an observation for the model, not a failed run
                observation = f"Error: {name} failed: {exc}"
        event = self.event(
            kind, tool=name, tool_input=args, observation=observation, latency=time.perf_counter() - started
        )
        return event, succeeded


class _ToolSteps(BaseCallbackHandler):
    """Steps a tool reports while it runs (each node of a workflow an agent called), recorded as
    `agent_action` events of the run; the tool's own call is recorded when it returns."""

    def __init__(self, run: AgentRun):
        self.run = run

    def on_custom_event(self, name: str, data: Any, **_: Any) -> None:
        if name != WORKFLOW_NODE_EVENT or not isinstance(data, WorkflowStep):
            return
        result = data.result
        outcome = result.error or json.dumps(result.outputs, ensure_ascii=False, default=str)
        self.run.record(
            self.run.event(
                AgentEventType.AGENT_ACTION,
                thought=result.node.title,
                tool=data.tool,
                tool_input=result.inputs,
                observation=outcome,
                latency=result.latency,
            )
        )


# --- the graph ------------------------------------------------------------------------------------


def _run_of(config: RunnableConfig) -> AgentRun:
    return config["configurable"]["agent_run"]


def _review_input(state: AgentState, config: RunnableConfig) -> dict:
    run = _run_of(config)
    if blocks_input(run.config.review, run.input.query):
        run.refuse()
        run.finish(MessageStatus.NORMAL)
        return {"refused": True}
    return {}


def _recall_memory(state: AgentState, config: RunnableConfig) -> dict:
    return {"messages": _run_of(config).recall_memory()}


def _call_model(state: AgentState, config: RunnableConfig) -> Command[Literal["call_tools", "__end__"]]:
    run = _run_of(config)
    reply, calls = run.call_model(state["messages"], state["iterations"])
    if not calls:
        run.finish(MessageStatus.NORMAL)  # the answer is final: nobody waits for the graph to wind down
    # Routed by the node itself: ~15% cheaper per run than a conditional edge reading the state.
    return Command(
        update={"messages": [reply], "pending_calls": calls, "iterations": state["iterations"] + 1},
        goto="call_tools" if calls else END,
    )


def _call_tools(state: AgentState, config: RunnableConfig) -> dict:
    return {"messages": _run_of(config).call_tools(state["pending_calls"]), "pending_calls": []}


@cache
def _agent_graph(reviews_input: bool, recalls_memory: bool):
    """The graph for an app's configuration: a step the app does not use would cost a superstep."""
    graph = StateGraph(AgentState)
    graph.add_node("call_model", _call_model)
    graph.add_node("call_tools", _call_tools)
    graph.add_edge("call_tools", "call_model")
    after_review = "call_model"
    if recalls_memory:
        graph.add_node("recall_memory", _recall_memory)
        graph.add_edge("recall_memory", "call_model")
        after_review = "recall_memory"
    if reviews_input:
        graph.add_node("review_input", _review_input)
        graph.add_edge(START, "review_input")
        graph.add_conditional_edges("review_input", lambda state: END if state["refused"] else after_review)
    else:
        graph.add_edge(START, after_review)
    return graph.compile()


class AgentRunner:
    """Runs one agent turn to the end and returns what it did; never raises. The result also
    goes to the sink's `finish` as soon as it is known."""

    def run(self, run: AgentRun) -> AgentResult:
        config, deadline = run.config, run.deadline
        # Without long-term memory there is nothing to recall: the prompt is ready from the start.
        messages = [] if config.long_term_memory else run.prompt()
        state: AgentState = {"messages": messages, "pending_calls": [], "iterations": 0, "refused": False}
        try:
            _agent_graph(config.review.inputs_enabled, config.long_term_memory).invoke(
                state,
                {"configurable": {"agent_run": run}, "recursion_limit": 2 * config.max_iterations + 4},
            )
        except AgentStopped:
            return run.finish(MessageStatus.STOP)
        except AgentTimedOut:
            return run.finish(MessageStatus.TIMEOUT, TIMEOUT_MESSAGE)
        except Exception as exc:
            # A model request cut short by the run's deadline is the run timing out.
            if time.monotonic() >= deadline:
                return run.finish(MessageStatus.TIMEOUT, TIMEOUT_MESSAGE)
            return run.finish(MessageStatus.ERROR, describe_error(exc))
        return run.finish(MessageStatus.NORMAL)


def describe_error(exc: Exception) -> str:
    """A readable one-line reason for a failed run (the provider's message where there is one)."""
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {message}"[:1000]
