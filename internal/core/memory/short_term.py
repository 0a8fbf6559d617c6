"""Short-term memory: the last rounds of a conversation as chat messages, within a token budget."""

from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from internal.core.text_processing.tokens import count_tokens


@dataclass(frozen=True)
class DialogTurn:
    query: str
    answer: str


def build_history(turns: Sequence[DialogTurn], max_rounds: int, max_tokens: int) -> list[BaseMessage]:
    """At most the last `max_rounds` turns (oldest first), dropping the oldest ones while the
    history would take more than `max_tokens`. Turns without an answer are left out."""
    recent = [turn for turn in turns if turn.answer][-max_rounds:] if max_rounds > 0 else []
    # A token is at least one UTF-8 byte: a history within `max_tokens` bytes needs no counting.
    if sum(len(turn.query.encode()) + len(turn.answer.encode()) for turn in recent) <= max_tokens:
        kept = recent
    else:
        kept = _within_budget(recent, max_tokens)
    messages: list[BaseMessage] = []
    for turn in kept:
        messages += [HumanMessage(turn.query), AIMessage(turn.answer)]
    return messages


def _within_budget(turns: list[DialogTurn], max_tokens: int) -> list[DialogTurn]:
    """The newest turns that fit in `max_tokens` together, oldest first."""
    kept: list[DialogTurn] = []
    budget = max_tokens
    for turn in reversed(turns):
        cost = count_tokens(turn.query) + count_tokens(turn.answer)
        if cost > budget:
            break
        budget -= cost
        kept.append(turn)
    return kept[::-1]
