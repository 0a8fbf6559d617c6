"""Calls the node's tool (built by the caller with the node's params) once with the node's inputs."""

import json
from typing import Any

from ...entities import BaseNode, NodeType, ToolNode
from ...ports import WorkflowPorts
from ..base import WorkflowNodeRunner


class ToolNodeRunner(WorkflowNodeRunner):
    node_type = NodeType.TOOL

    def run(self, node: BaseNode, inputs: dict[str, Any], ports: WorkflowPorts, timeout: float) -> dict[str, Any]:
        assert isinstance(node, ToolNode)
        result = ports.tool(node).invoke(dict(inputs))
        if hasattr(result, "content") and not isinstance(result, (str, dict, list)):
            result = result.content  # a ToolMessage
        text = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False, default=str)
        return {"text": text}
