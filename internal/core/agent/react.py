"""Tool calls in plain text, for models without native tool calling: `Action: {json}` lines."""

import json
import uuid

from langchain_core.messages import ToolCall
from langchain_core.messages.tool import tool_call

ACTION_MARK = "Action:"


def may_be_action(text: str) -> bool:
    """Whether a reply that starts like this could still become `Action:` lines (too short to tell)."""
    head = text.lstrip()
    return len(head) < len(ACTION_MARK) and ACTION_MARK.startswith(head)


def parse_actions(text: str) -> list[ToolCall]:
    """The tool calls in a reply that consists of `Action:` lines; [] when it is an answer."""
    if not text.lstrip().startswith(ACTION_MARK):
        return []
    decoder = json.JSONDecoder()
    calls: list[ToolCall] = []
    position = 0
    while (start := text.find(ACTION_MARK, position)) != -1:
        body = text[start + len(ACTION_MARK) :].lstrip()
        try:
            action, consumed = decoder.raw_decode(body)
        except ValueError:
            return []
        if not isinstance(action, dict) or not isinstance(action.get("name"), str):
            return []
        args = action.get("args")
        calls.append(
            tool_call(name=action["name"], args=args if isinstance(args, dict) else {}, id=f"react_{uuid.uuid4().hex[:12]}")
        )
        position = len(text) - len(body) + consumed
    return calls
