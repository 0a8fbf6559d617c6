"""Renders the prompt by plain substitution of `{{name}}` (no template language: nothing in a
prompt is evaluated) and invokes the node's model once."""

import re
from typing import Any

from ...entities import BaseNode, LLMNode, NodeType
from ...ports import WorkflowPorts
from ..base import NodeError, WorkflowNodeRunner

_REFERENCE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def render_prompt(prompt: str, inputs: dict[str, Any]) -> str:
    """`{{name}}` becomes the input's value; unknown names and empty values become ""."""

    def value_of(match: re.Match) -> str:
        value = inputs.get(match.group(1))
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return _REFERENCE.sub(value_of, prompt)


class LLMNodeRunner(WorkflowNodeRunner):
    node_type = NodeType.LLM

    def run(self, node: BaseNode, inputs: dict[str, Any], ports: WorkflowPorts, timeout: float) -> dict[str, Any]:
        assert isinstance(node, LLMNode)
        prompt = render_prompt(node.prompt, inputs)
        if not prompt.strip():
            raise NodeError("prompt: 提示词不能为空")
        message = ports.chat_model(node.language_model_config).invoke(prompt)
        content = message.content
        if isinstance(content, list):  # content parts: keep the text ones
            content = "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
        return {"output": content}
