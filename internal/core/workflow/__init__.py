"""Workflows: the graph's vocabulary (`entities`) and the engine that runs a graph (`runner`)."""

from .ports import CodeRunner, WorkflowPorts
from .runner import NodeResult, NodeStatus, WorkflowResult, WorkflowRunner, coerce_inputs
from .workflow_tool import build_workflow_tool

__all__ = [
    "CodeRunner",
    "NodeResult",
    "NodeStatus",
    "WorkflowPorts",
    "WorkflowResult",
    "WorkflowRunner",
    "build_workflow_tool",
    "coerce_inputs",
]
