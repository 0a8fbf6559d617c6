"""A published workflow as a LangChain tool an agent calls: its arguments are the start node's
inputs, its answer the end node's outputs as JSON."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import dispatch_custom_event
from langchain_core.tools import BaseTool, StructuredTool, ToolException
from pydantic import BaseModel, Field, create_model

from internal.core.tools.builtin_tools.base import describe_invalid_arguments

from .entities import Graph, NodeType, VariableType
from .runner import NodeResult

# The custom event a workflow tool dispatches for each node of its run that finished.
WORKFLOW_NODE_EVENT = "workflow_node"


@dataclass(frozen=True)
class WorkflowStep:
    """One finished node of a workflow an agent called (`tool` is the workflow's tool name)."""

    tool: str
    result: NodeResult

_PYTHON_TYPES: dict[VariableType, type] = {
    VariableType.STRING: str,
    VariableType.INT: int,
    VariableType.FLOAT: float,
    VariableType.BOOLEAN: bool,
}


def workflow_args_schema(name: str, graph: Graph) -> type[BaseModel]:
    """The tool's arguments: one per start input, with its type, description and requiredness."""
    start = next((node for node in graph.nodes if node.node_type == NodeType.START), None)
    fields: dict[str, Any] = {}
    for var in start.inputs if start is not None else []:
        python_type = _PYTHON_TYPES[var.type]
        if var.required:
            fields[var.name] = (python_type, Field(..., description=var.description))
        else:
            fields[var.name] = (python_type | None, Field(None, description=var.description))
    return create_model(f"{name}_args", **fields)


def build_workflow_tool(
    name: str,
    description: str,
    graph: Graph,
    invoke: Callable[[dict[str, Any], Callable[[NodeResult], None]], dict[str, Any]],
) -> BaseTool:
    """`invoke(args, on_node)` runs the workflow and returns its end outputs; a failure it raises,
    and arguments that do not fit the schema, become the tool's answer text (an agent gets an
    answer for every call). Each node that finishes is dispatched as the LangChain custom event
    WORKFLOW_NODE_EVENT (`WorkflowStep`), which the agent runtime shows as a step."""

    def report(result: NodeResult) -> None:
        dispatch_custom_event(WORKFLOW_NODE_EVENT, WorkflowStep(name, result))

    def call_workflow(**args: Any) -> str:
        try:
            outputs = invoke({key: value for key, value in args.items() if value is not None}, report)
        except ToolException:
            raise
        except Exception as exc:
            raise ToolException(getattr(exc, "message", None) or str(exc) or type(exc).__name__) from None
        return json.dumps(outputs, ensure_ascii=False, default=str)

    return StructuredTool.from_function(
        func=call_workflow,
        name=name,
        description=description,
        args_schema=workflow_args_schema(name, graph),
        infer_schema=False,
        handle_tool_error=True,
        handle_validation_error=describe_invalid_arguments,  # the model reads which argument was wrong
    )
