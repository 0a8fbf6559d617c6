"""The start node's outputs are the run's inputs, one per declared input."""

from typing import Any

from ...entities import BaseNode, NodeType
from ...ports import WorkflowPorts
from ...variables import empty_value
from ..base import WorkflowNodeRunner


class StartNodeRunner(WorkflowNodeRunner):
    node_type = NodeType.START

    def run(self, node: BaseNode, inputs: dict[str, Any], ports: WorkflowPorts, timeout: float) -> dict[str, Any]:
        return {var.name: inputs.get(var.name, empty_value(var.type)) for var in node.inputs}
