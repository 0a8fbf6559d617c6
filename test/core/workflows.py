"""Builders for workflow graphs and engine ports in tests and benchmarks: typed nodes straight
from the entities, wired by edges in the order given."""

import itertools
from collections.abc import Callable
from typing import Any

from internal.core.workflow import WorkflowPorts
from internal.core.workflow.entities import BaseNode, Edge, Graph, Variable
from pkg.guarded_http import GuardedHttpClient, OutboundPolicy


def ref(node_id: str, var_name: str, name: str | None = None, type: str = "string", **fields: Any) -> Variable:
    """An input named `name` (default: `var_name`) that reads `node_id`'s output `var_name`."""
    content = {"ref_node_id": node_id, "ref_var_name": var_name}
    return Variable(name=name or var_name, type=type, value={"type": "ref", "content": content}, **fields)


def literal(name: str, content: Any, type: str = "string", **fields: Any) -> Variable:
    return Variable(name=name, type=type, value={"type": "literal", "content": content}, **fields)


def declared(name: str, type: str = "string", required: bool = True, description: str = "") -> Variable:
    """A start input or a code output: a name and a type, no value."""
    return Variable(name=name, type=type, required=required, description=description)


_edge_ids = itertools.count(1)


def graph(nodes: list[BaseNode], *edges: tuple[str, str]) -> Graph:
    return Graph(nodes=nodes, edges=[Edge(id=f"e{next(_edge_ids)}", source=s, target=t) for s, t in edges])


def _unused(name: str) -> Callable:
    def fail(*args: Any, **kwargs: Any):
        raise AssertionError(f"this test's workflow should not use {name}")

    return fail


class _NoCodeRunner:
    def run(self, code: str, params: dict, timeout: float | None) -> dict:
        raise AssertionError("this test's workflow should not run code")


def make_ports(**overrides: Any) -> WorkflowPorts:
    """Ports whose collaborators fail loudly unless the test provides them; the HTTP client may
    reach 127.0.0.1 only (where the tests' servers listen)."""
    defaults: dict[str, Any] = {
        "chat_model": _unused("a model"),
        "tool": _unused("a tool"),
        "retrieve": _unused("retrieval"),
        "code_runner": _NoCodeRunner(),
        "http_client": GuardedHttpClient(OutboundPolicy(allow_hosts=("127.0.0.1",), timeout=30.0)),
    }
    return WorkflowPorts(**{**defaults, **overrides})
