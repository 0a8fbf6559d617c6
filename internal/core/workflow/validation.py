"""The strict check of a graph before any run and on publish; each failure names the node
(title and id) and the field. User code is only parsed here (`ast.parse`), never executed.

Reference types: a reference takes an output of the same type; an `int` output also feeds a
`float` variable, and any output feeds a `string` variable (it is rendered as text). Nothing else
converts: a `string` output cannot feed an `int` variable.
"""

import ast
import re
import uuid
from collections import deque
from typing import Protocol
from urllib.parse import urlsplit

from internal.core.app_config.values import RETRIEVAL_STRATEGIES
from internal.exception import ValidateErrorException

from .entities import (
    FIXED_OUTPUTS,
    BaseNode,
    CodeNode,
    DatasetRetrievalNode,
    Graph,
    HttpInputKind,
    HttpRequestNode,
    LLMNode,
    NodeType,
    TemplateTransformNode,
    ToolNode,
    ToolType,
    ValueType,
    Variable,
    VariableType,
)

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_VARIABLE_NAME_LENGTH = 255
MAX_DATASETS = 5
_BOOLEAN_LITERALS = ("true", "false", "1", "0")


class GraphResources(Protocol):
    """What the graph may use, as the account sees it (implemented by the workflow service)."""

    def check_model(self, provider: str, model: str, parameters: dict) -> None:
        """Raises ValidateErrorException (`model_config.<field>: …`) for an unknown model or bad parameters."""

    def has_builtin_tool(self, provider_name: str, tool_name: str) -> bool: ...

    def has_api_tool(self, provider_id: uuid.UUID, tool_name: str) -> bool:
        """The provider belongs to the account and has a tool of that name."""

    def missing_datasets(self, dataset_ids: list[uuid.UUID]) -> list[uuid.UUID]:
        """The ids that are not datasets of the account."""


class _NodeError:
    """Builds the messages of one node: `nodes[i].field: 节点"title"(id)…`."""

    def __init__(self, index: int, node: BaseNode):
        self.index, self.node = index, node

    def __call__(self, field: str, message: str) -> ValidateErrorException:
        path = f"nodes[{self.index}].{field}" if field else f"nodes[{self.index}]"
        return ValidateErrorException(f'{path}: 节点"{self.node.title}"({self.node.id}){message}')


def validate_graph(graph: Graph, resources: GraphResources) -> Graph:
    """`graph` when it can run; raises ValidateErrorException at the first problem."""
    errors = [_NodeError(index, node) for index, node in enumerate(graph.nodes)]
    by_id = _check_nodes(graph, errors)
    parents = _check_edges(graph, by_id, errors)
    ancestors = _ancestors(graph, parents, errors)
    for index, node in enumerate(graph.nodes):
        error = errors[index]
        _check_variables(node, error)
        _check_refs(node, ancestors[node.id], by_id, error)
        _check_type_fields(node, resources, error)
    return graph


# --- nodes and edges ----------------------------------------------------------------------------


def _check_nodes(graph: Graph, errors: list[_NodeError]) -> dict[str, BaseNode]:
    for node_type, label in ((NodeType.START, "开始"), (NodeType.END, "结束")):
        count = sum(1 for node in graph.nodes if node.node_type == node_type)
        if count != 1:
            raise ValidateErrorException(f"nodes: 工作流必须有且只有一个{label}节点，当前有{count}个")
    by_id: dict[str, BaseNode] = {}
    titles: set[str] = set()
    for index, node in enumerate(graph.nodes):
        if node.id in by_id:
            raise errors[index]("id", "的id与其他节点重复")
        by_id[node.id] = node
        if not node.title.strip():
            raise errors[index]("title", "的标题不能为空")
        if node.title in titles:
            raise errors[index]("title", "的标题与其他节点重复")
        titles.add(node.title)
    return by_id


def _check_edges(graph: Graph, by_id: dict[str, BaseNode], errors: list[_NodeError]) -> dict[str, set[str]]:
    """Each node's parents."""
    parents: dict[str, set[str]] = {node_id: set() for node_id in by_id}
    edge_ids: set[str] = set()
    for index, edge in enumerate(graph.edges):
        where = f"edges[{index}]"
        if edge.id in edge_ids:
            raise ValidateErrorException(f"{where}.id: 连线的id与其他连线重复")
        edge_ids.add(edge.id)
        for end in ("source", "target"):
            node = by_id.get(getattr(edge, end))
            if node is None:
                raise ValidateErrorException(f"{where}.{end}: 连线的节点{getattr(edge, end)}不存在")
            declared = getattr(edge, f"{end}_type")
            if declared is not None and declared != node.node_type:
                raise ValidateErrorException(
                    f"{where}.{end}_type: 与节点{node.id}的类型{node.node_type.value}不一致"
                )
        if edge.source == edge.target:
            raise ValidateErrorException(f"{where}.target: 连线不能指向自身")
        if edge.source in parents[edge.target]:
            raise ValidateErrorException(f"{where}: 两个节点之间的连线重复")
        parents[edge.target].add(edge.source)
    return parents


def _ancestors(graph: Graph, parents: dict[str, set[str]], errors: list[_NodeError]) -> dict[str, set[str]]:
    """Each node's ancestors, after checking the graph has no cycle and every node lies on a path
    from start to end."""
    index_of = {node.id: index for index, node in enumerate(graph.nodes)}
    children: dict[str, set[str]] = {node_id: set() for node_id in parents}
    for child, its_parents in parents.items():
        for parent in its_parents:
            children[parent].add(child)

    # Kahn's order: whatever never reaches zero incoming edges sits on a cycle or after one.
    waiting = {node_id: len(its_parents) for node_id, its_parents in parents.items()}
    ready = deque(node_id for node_id, count in waiting.items() if count == 0)
    order: list[str] = []
    while ready:
        node_id = ready.popleft()
        order.append(node_id)
        for child in children[node_id]:
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    if len(order) != len(parents):
        stuck = next(node.id for node in graph.nodes if waiting[node.id] > 0)
        raise errors[index_of[stuck]]("", "处于循环连线中，工作流不能有环")

    start = next(node.id for node in graph.nodes if node.node_type == NodeType.START)
    end = next(node.id for node in graph.nodes if node.node_type == NodeType.END)
    from_start = _reach(start, children)
    to_end = _reach(end, parents)
    for node in graph.nodes:
        if node.id not in from_start:
            raise errors[index_of[node.id]]("", "无法从开始节点到达")
        if node.id not in to_end:
            raise errors[index_of[node.id]]("", "无法到达结束节点")

    ancestors: dict[str, set[str]] = {}
    for node_id in order:
        ancestors[node_id] = set().union(*(ancestors[parent] | {parent} for parent in parents[node_id]))
    return ancestors


def _reach(origin: str, links: dict[str, set[str]]) -> set[str]:
    seen, queue = {origin}, deque([origin])
    while queue:
        for other in links[queue.popleft()]:
            if other not in seen:
                seen.add(other)
                queue.append(other)
    return seen


# --- variables and references -------------------------------------------------------------------


def _check_variables(node: BaseNode, error: _NodeError) -> None:
    for side in ("inputs", "outputs"):
        names: set[str] = set()
        for position, variable in enumerate(getattr(node, side)):
            where = f"{side}[{position}]"
            if not IDENTIFIER.match(variable.name) or len(variable.name) > MAX_VARIABLE_NAME_LENGTH:
                raise error(f"{where}.name", f"的变量名{variable.name!r}不合法，只能包含字母、数字和下划线且不能以数字开头")
            if variable.name in names:
                raise error(f"{where}.name", f"的变量名{variable.name}重复")
            names.add(variable.name)
            _check_value(node, side, where, variable, error)


def _check_value(node: BaseNode, side: str, where: str, variable: Variable, error: _NodeError) -> None:
    value_type = variable.value.type
    if node.node_type == NodeType.START or (side == "outputs" and node.node_type != NodeType.END):
        return  # declared inputs and produced outputs carry no value to check
    if value_type == ValueType.GENERATED:
        raise error(f"{where}.value.type", "的变量只能引用其他节点的输出或填写固定值")
    if value_type == ValueType.LITERAL and not _literal_fits(variable.type, variable.value.content):
        raise error(f"{where}.value.content", f"的固定值无法转换为{variable.type.value}类型")


def _literal_fits(var_type: VariableType, content: object) -> bool:
    if var_type == VariableType.STRING:
        return isinstance(content, str | int | float | bool)
    if isinstance(content, bool):
        return var_type == VariableType.BOOLEAN
    if var_type == VariableType.BOOLEAN:
        return isinstance(content, str) and content.strip().lower() in _BOOLEAN_LITERALS or content in (0, 1)
    converter = int if var_type == VariableType.INT else float
    if isinstance(content, int | float):
        return var_type == VariableType.FLOAT or float(content).is_integer()
    try:
        converter(str(content).strip())
    except ValueError:
        return False
    return True


def node_outputs(node: BaseNode) -> dict[str, VariableType]:
    """What a node gives its descendants to reference: start its declared inputs, code its
    declared outputs, the others their fixed outputs."""
    if node.node_type == NodeType.START:
        return {variable.name: variable.type for variable in node.inputs}
    if node.node_type == NodeType.CODE:
        return {variable.name: variable.type for variable in node.outputs}
    return dict(FIXED_OUTPUTS.get(node.node_type, ()))


def _compatible(produced: VariableType, wanted: VariableType) -> bool:
    return produced == wanted or wanted == VariableType.STRING or (produced, wanted) == (VariableType.INT, VariableType.FLOAT)


def _check_refs(node: BaseNode, ancestors: set[str], by_id: dict[str, BaseNode], error: _NodeError) -> None:
    sides = ("inputs", "outputs") if node.node_type == NodeType.END else ("inputs",)
    for side in sides:
        for position, variable in enumerate(getattr(node, side)):
            if variable.value.type != ValueType.REF:
                continue
            where = f"{side}[{position}].value.content"
            ref = variable.value.ref()
            if ref is None or ref.ref_node_id not in ancestors:
                raise error(f"{where}.ref_node_id", f"的变量{variable.name}引用的节点不存在或不在它之前")
            source = by_id[ref.ref_node_id]
            produced = node_outputs(source).get(ref.ref_var_name)
            if produced is None:
                raise error(
                    f"{where}.ref_var_name", f'的变量{variable.name}引用的输出{ref.ref_var_name}在节点"{source.title}"中不存在'
                )
            if not _compatible(produced, variable.type):
                raise error(
                    f"{where}.ref_var_name",
                    f"的变量{variable.name}是{variable.type.value}类型，不能引用{produced.value}类型的输出{ref.ref_var_name}",
                )


# --- each node type's own fields ----------------------------------------------------------------


def _check_type_fields(node: BaseNode, resources: GraphResources, error: _NodeError) -> None:
    if isinstance(node, LLMNode):
        _check_llm(node, resources, error)
    elif isinstance(node, TemplateTransformNode):
        if not node.template.strip():
            raise error("template", "的模板不能为空")
    elif isinstance(node, CodeNode):
        _check_code(node, error)
    elif isinstance(node, HttpRequestNode):
        _check_http(node, error)
    elif isinstance(node, DatasetRetrievalNode):
        _check_retrieval(node, resources, error)
    elif isinstance(node, ToolNode):
        _check_tool(node, resources, error)


def _check_llm(node: LLMNode, resources: GraphResources, error: _NodeError) -> None:
    if not node.prompt.strip():
        raise error("prompt", "的提示词不能为空")
    config = node.language_model_config
    if not config.provider:
        raise error("model_config.provider", "的模型提供商不能为空")
    if not config.model:
        raise error("model_config.model", "的模型不能为空")
    try:
        resources.check_model(config.provider, config.model, config.parameters)
    except ValidateErrorException as exc:
        field, _, message = exc.message.partition(": ")
        raise error(field, f"：{message}") from None


def _check_code(node: CodeNode, error: _NodeError) -> None:
    if not node.code.strip():
        raise error("code", "的代码不能为空")
    try:
        # Parsing only: the code is never compiled to bytecode, executed or imported here.
        module = ast.parse(node.code, mode="exec")
    except (SyntaxError, ValueError) as exc:
        line = f"第{exc.lineno}行" if getattr(exc, "lineno", None) else ""
        raise error("code", f"的代码{line}有语法错误：{getattr(exc, 'msg', exc)}") from None
    mains = [
        statement
        for statement in module.body
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef) and statement.name == "main"
    ]
    if not mains or not isinstance(mains[-1], ast.FunctionDef):
        raise error("code", "的代码必须在顶层定义函数def main(params)")
    args = mains[-1].args
    positional = [*args.posonlyargs, *args.args]
    if len(positional) != 1 or args.vararg or args.kwonlyargs or args.kwarg:
        raise error("code", "的main函数必须只接收一个参数params")


def _check_http(node: HttpRequestNode, error: _NodeError) -> None:
    parts = urlsplit(node.url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise error("url", "的请求地址必须是合法的http或https地址")
    kinds = [kind.value for kind in HttpInputKind]
    for position, variable in enumerate(node.inputs):
        if variable.meta.get("type") not in kinds:
            raise error(f"inputs[{position}].meta.type", f"的变量{variable.name}必须指定位置：params、headers或body")


def _check_retrieval(node: DatasetRetrievalNode, resources: GraphResources, error: _NodeError) -> None:
    if not 1 <= len(node.dataset_ids) <= MAX_DATASETS:
        raise error("dataset_ids", f"需要关联1-{MAX_DATASETS}个知识库")
    ids: list[uuid.UUID] = []
    for position, dataset_id in enumerate(node.dataset_ids):
        try:
            ids.append(uuid.UUID(dataset_id))
        except ValueError:
            raise error(f"dataset_ids[{position}]", "关联的知识库不存在") from None
    if len(set(ids)) != len(ids):
        raise error("dataset_ids", "不能重复关联同一个知识库")
    missing = set(resources.missing_datasets(ids))
    for position, dataset_id in enumerate(ids):
        if dataset_id in missing:
            raise error(f"dataset_ids[{position}]", "关联的知识库不存在")
    config = node.retrieval_config
    if config.retrieval_strategy not in RETRIEVAL_STRATEGIES:
        raise error("retrieval_config.retrieval_strategy", f"的检索策略必须是{'、'.join(RETRIEVAL_STRATEGIES)}之一")
    if not 1 <= config.k <= 10:
        raise error("retrieval_config.k", "的召回数量必须在1-10之间")
    if not 0 <= config.score <= 0.99:
        raise error("retrieval_config.score", "的最低得分必须在0-0.99之间")
    if [variable.name for variable in node.inputs] != ["query"]:
        raise error("inputs", "必须有且只有一个输入变量query")


def _check_tool(node: ToolNode, resources: GraphResources, error: _NodeError) -> None:
    if node.tool_type == ToolType.BUILTIN_TOOL:
        if not resources.has_builtin_tool(node.provider_id, node.tool_id):
            raise error("tool_id", f"的内置工具{node.provider_id}/{node.tool_id}不存在")
        return
    try:
        provider_id = uuid.UUID(node.provider_id)
    except ValueError:
        raise error("provider_id", "的工具提供者不存在") from None
    if not resources.has_api_tool(provider_id, node.tool_id):
        raise error("tool_id", f"的API工具{node.tool_id}不存在")
