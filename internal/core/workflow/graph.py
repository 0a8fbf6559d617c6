"""The graph document: the lenient shape check of an editor's autosave, its stored form, the
shape GET 11.6 serves, and the fingerprint that tells a position-only change from a real one.

Caps (refused on save, whatever else the graph holds): 100 nodes, 200 edges, 50 variables per
node side, node ids ≤ 64 characters, titles ≤ 50, descriptions ≤ 1024, prompt/template/code ≤ 65536.
"""

import copy
import math
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from internal.exception import ValidateErrorException
from pkg.validation_message import describe

from .entities import (
    FIXED_OUTPUTS,
    NODE_CLASSES,
    BaseNode,
    Edge,
    Graph,
    NodeType,
    ValueType,
    Variable,
    VariableRef,
    VariableValue,
)

MAX_NODES = 100
MAX_EDGES = 200
MAX_VARIABLES = 50
MAX_ID_LENGTH = 64
MAX_TITLE_LENGTH = 50
MAX_DESCRIPTION_LENGTH = 1024
MAX_TEXT_LENGTH = 65536
_TEXT_FIELDS = ("prompt", "template", "code", "url")


def parse_draft_graph(raw: Any) -> Graph:
    """The typed graph of `raw` (`{nodes, edges}`), checked for shape only: half-filled nodes pass."""
    if not isinstance(raw, dict):
        raise ValidateErrorException("graph: 必须是对象")
    nodes, edges = raw.get("nodes"), raw.get("edges")
    if not isinstance(nodes, list):
        raise ValidateErrorException("nodes: 必须是数组")
    if not isinstance(edges, list):
        raise ValidateErrorException("edges: 必须是数组")
    if len(nodes) > MAX_NODES:
        raise ValidateErrorException(f"nodes: 最多只能有{MAX_NODES}个节点")
    if len(edges) > MAX_EDGES:
        raise ValidateErrorException(f"edges: 最多只能有{MAX_EDGES}条连线")
    non_finite = _non_finite_number({"nodes": nodes, "edges": edges})
    if non_finite is not None:
        # NaN and Infinity pass Python's JSON reader but no JSON column stores them.
        raise ValidateErrorException(f"{non_finite}: 必须是有限的数字")
    return Graph(
        nodes=[_parse_node(index, node) for index, node in enumerate(nodes)],
        edges=[_parse_edge(index, edge) for index, edge in enumerate(edges)],
    )


def load_graph(stored: dict) -> Graph:
    """The typed graph of a stored `draft_graph` or `graph` (saved through `parse_draft_graph`)."""
    return parse_draft_graph(stored)


def stored_graph(graph: Graph) -> dict:
    """What goes into `Workflow.draft_graph`: every node with its own type's fields and the keys
    the editor sent that this module does not know."""
    # Dumped one by one: `Graph.nodes` is typed BaseNode and would drop the subclasses' fields.
    return {
        "nodes": [node.model_dump(mode="json") for node in graph.nodes],
        "edges": [edge.model_dump(mode="json") for edge in graph.edges],
    }


def render_graph(
    stored: dict, datasets: Mapping[str, dict] | None = None, tools: Mapping[tuple[str, str, str], dict] | None = None
) -> dict:
    """The draft graph as 11.6 serves it, so an editor can render any saved node.

    `datasets` (id → `{id, name, icon, description}`) fills a retrieval node's `meta.datasets`
    with the account's datasets it names; without it the saved `meta.datasets` is served.
    `tools` ((tool_type, provider_id, tool_id) → `{type, provider{…}, tool{…}}`) does the same for
    a tool node's `meta` (a tool it does not know keeps its saved `meta`).
    """
    graph = load_graph(stored)
    types = {node.id: node.node_type for node in graph.nodes}
    return {
        "nodes": [_render_node(node, datasets, tools) for node in graph.nodes],
        "edges": [_render_edge(edge, types) for edge in graph.edges],
    }


def graph_fingerprint(stored: dict) -> dict:
    """The graph without node positions: equal fingerprints mean nothing but positions changed.

    Taken from the rendered form, so sending back what GET served (aliases, filled-in outputs and
    defaults) counts as no change.
    """
    graph = render_graph(stored)
    for node in graph["nodes"]:
        node.pop("position", None)
        # A retrieval or tool node's `meta` only shows what its ids name (GET fills it in).
        if node["node_type"] in _DISPLAY_META:
            node.pop("meta", None)
    return graph


_DISPLAY_META = (NodeType.DATASET_RETRIEVAL.value, NodeType.TOOL.value)


# --- parsing ------------------------------------------------------------------------------------


def _non_finite_number(value: Any, path: str = "") -> str | None:
    """The path of the first NaN or infinite number inside `value`, if any."""
    if isinstance(value, float) and not math.isfinite(value):
        return path or "graph"
    if isinstance(value, dict):
        items = ((f"{path}.{key}" if path else str(key), item) for key, item in value.items())
    elif isinstance(value, list):
        items = ((f"{path}[{index}]", item) for index, item in enumerate(value))
    else:
        return None
    for item_path, item in items:
        found = _non_finite_number(item, item_path)
        if found is not None:
            return found
    return None


def _parse_node(index: int, raw: Any) -> BaseNode:
    where = f"nodes[{index}]"
    if not isinstance(raw, dict):
        raise ValidateErrorException(f"{where}: 必须是对象")
    node_type = raw.get("node_type") or raw.get("type")
    try:
        node_class = NODE_CLASSES[NodeType(node_type)]
    except (ValueError, TypeError):
        expected = "、".join(node_type.value for node_type in NodeType)
        raise ValidateErrorException(f"{where}.node_type: 必须是以下值之一：{expected}") from None
    try:
        node = node_class.model_validate(raw)
    except ValidationError as exc:
        raise ValidateErrorException(f"{where}.{describe(exc.errors(include_url=False)[0])}") from None
    _check_caps(where, node)
    return node


def _check_caps(where: str, node: BaseNode) -> None:
    if not node.id or len(node.id) > MAX_ID_LENGTH:
        raise ValidateErrorException(f"{where}.id: 长度必须在1-{MAX_ID_LENGTH}个字符之间")
    if len(node.title) > MAX_TITLE_LENGTH:
        raise ValidateErrorException(f"{where}.title: 长度不能超过{MAX_TITLE_LENGTH}个字符")
    if len(node.description) > MAX_DESCRIPTION_LENGTH:
        raise ValidateErrorException(f"{where}.description: 长度不能超过{MAX_DESCRIPTION_LENGTH}个字符")
    for field in _TEXT_FIELDS:
        value = getattr(node, field, "")
        if isinstance(value, str) and len(value) > MAX_TEXT_LENGTH:
            raise ValidateErrorException(f"{where}.{field}: 长度不能超过{MAX_TEXT_LENGTH}个字符")
    for side in ("inputs", "outputs"):
        variables: list[Variable] = getattr(node, side)
        if len(variables) > MAX_VARIABLES:
            raise ValidateErrorException(f"{where}.{side}: 最多只能有{MAX_VARIABLES}个变量")
        for position, variable in enumerate(variables):
            if len(variable.description) > MAX_DESCRIPTION_LENGTH:
                raise ValidateErrorException(
                    f"{where}.{side}[{position}].description: 长度不能超过{MAX_DESCRIPTION_LENGTH}个字符"
                )
            if variable.value.type == ValueType.REF:
                _check_ref_shape(f"{where}.{side}[{position}].value.content", variable.value.content)


def _check_ref_shape(where: str, content: Any) -> None:
    if not isinstance(content, dict):
        raise ValidateErrorException(f"{where}: 引用必须是对象")
    try:
        VariableRef.model_validate(content)
    except ValidationError as exc:
        raise ValidateErrorException(f"{where}.{describe(exc.errors(include_url=False)[0])}") from None


def _parse_edge(index: int, raw: Any) -> Edge:
    where = f"edges[{index}]"
    if not isinstance(raw, dict):
        raise ValidateErrorException(f"{where}: 必须是对象")
    try:
        return Edge.model_validate(raw)
    except ValidationError as exc:
        raise ValidateErrorException(f"{where}.{describe(exc.errors(include_url=False)[0])}") from None


# --- rendering ----------------------------------------------------------------------------------


def _render_node(
    node: BaseNode, datasets: Mapping[str, dict] | None, tools: Mapping[tuple[str, str, str], dict] | None
) -> dict:
    rendered = node.model_dump(mode="json")
    rendered["type"] = rendered["node_type"]
    rendered["name"] = rendered["title"]
    rendered["inputs"] = [_render_variable(variable) for variable in node.inputs]
    rendered["outputs"] = [_render_variable(variable) for variable in _outputs_with_fixed(node)]
    if node.node_type == NodeType.LLM:
        rendered["model_config"] = copy.deepcopy(rendered["language_model_config"])
    elif node.node_type == NodeType.DATASET_RETRIEVAL:
        meta = rendered["meta"]
        if datasets is not None:
            meta["datasets"] = [datasets[dataset_id] for dataset_id in node.dataset_ids if dataset_id in datasets]
        else:
            meta.setdefault("datasets", [])
    elif node.node_type == NodeType.TOOL:
        meta = rendered["meta"]
        known = (tools or {}).get((str(rendered["tool_type"]), str(rendered["provider_id"]), str(rendered["tool_id"])))
        if known is not None:
            meta.update(copy.deepcopy(known))
        meta.setdefault("type", rendered["tool_type"])
        meta.setdefault("provider", {})
        meta.setdefault("tool", {})
    return rendered


def _outputs_with_fixed(node: BaseNode) -> list[Variable]:
    declared = {variable.name for variable in node.outputs}
    missing = [
        Variable(name=name, type=var_type, value=VariableValue(type=ValueType.GENERATED, content=""))
        for name, var_type in FIXED_OUTPUTS.get(node.node_type, ())
        if name not in declared
    ]
    return [*node.outputs, *missing]


def _render_variable(variable: Variable) -> dict:
    rendered = variable.model_dump(mode="json")
    ref = variable.value.ref()
    if ref is not None:
        content = ref.model_dump(mode="json")
        content["ref_node_var_name"] = ref.ref_var_name
        rendered["value"]["content"] = content
    return rendered


def _render_edge(edge: Edge, types: dict[str, NodeType]) -> dict:
    rendered = edge.model_dump(mode="json")
    for end in ("source", "target"):
        if rendered.get(f"{end}_type") is None and rendered[end] in types:
            rendered[f"{end}_type"] = types[rendered[end]].value
    return rendered
