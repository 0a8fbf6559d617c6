"""The end node's outputs are its variables (references resolved): the run's result."""

from typing import Any

from ...entities import BaseNode, NodeType
from ...ports import WorkflowPorts
from ..base import WorkflowNodeRunner


class EndNodeRunner(WorkflowNodeRunner):
    node_type = NodeType.END

    def run(self, node: BaseNode, inputs: dict[str, Any], ports: WorkflowPorts, timeout: float) -> dict[str, Any]:
        return dict(inputs)
