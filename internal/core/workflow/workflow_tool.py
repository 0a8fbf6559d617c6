"""A published workflow as a LangChain tool an agent calls: its arguments are the start node's
inputs, its answer the end node's outputs as JSON."""

import json
from collections.abc import Callable
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool, ToolException
from pydantic import BaseModel, Field, create_model

from internal.core.tools.builtin_tools.base import describe_invalid_arguments

from .entities import Graph, NodeType, VariableType

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
    name: str, description: str, graph: Graph, invoke: Callable[[dict[str, Any]], dict[str, Any]]
) -> BaseTool:
    """`invoke(args)` runs the workflow and returns its end outputs; a failure it raises, and
    arguments that do not fit the schema, become the tool's answer text (an agent gets an answer
    for every call)."""

    def call_workflow(**args: Any) -> str:
        try:
            outputs = invoke({key: value for key, value in args.items() if value is not None})
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
