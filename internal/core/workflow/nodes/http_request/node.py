"""Sends the node's request through `ports.http_client`, which refuses loopback, private and
metadata addresses on every hop and caps size and time; inputs go where their `meta.type` says."""

from typing import Any

from pkg.guarded_http import OutboundRequestError

from ...entities import BaseNode, HttpInputKind, HttpRequestNode, NodeType
from ...ports import WorkflowPorts
from ..base import NodeError, WorkflowNodeRunner


class HttpRequestNodeRunner(WorkflowNodeRunner):
    node_type = NodeType.HTTP_REQUEST

    def run(self, node: BaseNode, inputs: dict[str, Any], ports: WorkflowPorts, timeout: float) -> dict[str, Any]:
        assert isinstance(node, HttpRequestNode)
        if not node.url.strip():
            raise NodeError("url: 请求地址不能为空")
        parts: dict[HttpInputKind, dict[str, Any]] = {kind: {} for kind in HttpInputKind}
        for var in node.inputs:
            kind = var.meta.get("type") if isinstance(var.meta, dict) else None
            try:
                parts[HttpInputKind(kind or HttpInputKind.PARAMS)][var.name] = inputs.get(var.name)
            except ValueError:
                raise NodeError(f"inputs.{var.name}.meta.type: 必须是以下值之一：params, headers, body") from None
        headers = {name: _header_text(value) for name, value in parts[HttpInputKind.HEADERS].items()}
        params = {name: value for name, value in parts[HttpInputKind.PARAMS].items() if value is not None}
        body = parts[HttpInputKind.BODY] or None
        try:
            response = ports.http_client.request(
                node.method.value, node.url.strip(), params=params or None, headers=headers, json=body
            )
        except OutboundRequestError as exc:
            raise NodeError(str(exc)) from None
        return {"status_code": response.status_code, "text": response.text}


def _header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
