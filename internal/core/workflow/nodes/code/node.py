"""Hands the code and inputs to the code runner (the sandbox) and keeps the declared outputs,
each coerced to its declared type."""

from typing import Any

from ...entities import BaseNode, CodeNode, NodeType
from ...ports import WorkflowPorts
from ...variables import CoercionError, coerce_value
from ..base import NodeError, WorkflowNodeRunner


class CodeNodeRunner(WorkflowNodeRunner):
    node_type = NodeType.CODE

    def run(self, node: BaseNode, inputs: dict[str, Any], ports: WorkflowPorts, timeout: float) -> dict[str, Any]:
        assert isinstance(node, CodeNode)
        result = ports.code_runner.run(node.code, dict(inputs), timeout)
        if not isinstance(result, dict):
            raise NodeError("代码的返回值必须是字典")
        outputs: dict[str, Any] = {}
        for var in node.outputs:
            if var.name not in result:
                raise NodeError(f"outputs.{var.name}: 代码没有返回该输出")
            try:
                outputs[var.name] = coerce_value(var.type, result[var.name])
            except CoercionError as exc:
                raise NodeError(f"outputs.{var.name}: {exc}") from None
        return outputs
