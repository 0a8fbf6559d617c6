"""What every node type implements: `run(node, inputs, ports, timeout) -> outputs`."""

from typing import Any, ClassVar

from ..entities import BaseNode, NodeType
from ..ports import WorkflowPorts


class NodeError(Exception):
    """A node failed for a reason its user can act on; the message is the node's error."""


class WorkflowNodeRunner:
    """One per node type. `inputs` are the node's resolved inputs; `timeout` is the seconds the
    node has left (its own timeout or the run's deadline), for collaborators that take one."""

    node_type: ClassVar[NodeType]

    def run(self, node: BaseNode, inputs: dict[str, Any], ports: WorkflowPorts, timeout: float) -> dict[str, Any]:
        raise NotImplementedError
