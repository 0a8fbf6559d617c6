"""The vocabulary of a workflow graph (llmops-api.md §11.6/11.7): node types, variables, edges
and each node type's own fields, in the shape the editors save and read.

Nodes are parsed leniently here (an editor autosaves half-filled nodes): every field has a default
and keys this module does not know are kept, so what an editor sent comes back on the next read.
`node_type`/`title` are the names used; `type`/`name` (the contract's graph names) are accepted as
aliases and served too. The strict checks run before a run and on publish (`validation`).
"""

from enum import StrEnum
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator


class NodeType(StrEnum):
    START = "start"
    END = "end"
    LLM = "llm"
    TOOL = "tool"
    DATASET_RETRIEVAL = "dataset_retrieval"
    TEMPLATE_TRANSFORM = "template_transform"
    HTTP_REQUEST = "http_request"
    CODE = "code"


class VariableType(StrEnum):
    STRING = "string"
    INT = "int"
    FLOAT = "float"
    BOOLEAN = "boolean"


class ValueType(StrEnum):
    LITERAL = "literal"
    REF = "ref"
    GENERATED = "generated"


class HttpMethod(StrEnum):
    GET = "get"
    POST = "post"
    PUT = "put"
    PATCH = "patch"
    DELETE = "delete"
    HEAD = "head"
    OPTIONS = "options"


class HttpInputKind(StrEnum):
    """Where an HTTP node's input goes (the input's `meta.type`)."""

    PARAMS = "params"
    HEADERS = "headers"
    BODY = "body"


class _Open(BaseModel):
    """A shape that keeps keys it does not know (editors send back what they read)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class VariableRef(_Open):
    ref_node_id: str = ""
    ref_var_name: str = Field("", validation_alias=AliasChoices("ref_var_name", "ref_node_var_name"))


class VariableValue(_Open):
    type: ValueType = ValueType.LITERAL
    content: Any = ""

    def ref(self) -> VariableRef | None:
        """The referenced node output, for a `ref` value whose content is an object."""
        if self.type != ValueType.REF or not isinstance(self.content, dict):
            return None
        return VariableRef.model_validate(self.content)


class Variable(_Open):
    name: str = ""
    description: str = ""
    required: bool = True
    type: VariableType = VariableType.STRING
    value: VariableValue = Field(default_factory=VariableValue)
    meta: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _missing_type_is_string(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("type") in (None, ""):
            data = {**data, "type": VariableType.STRING.value}
        return data


class Position(_Open):
    x: float = 0.0
    y: float = 0.0


class BaseNode(_Open):
    id: str
    node_type: NodeType
    title: str = ""
    description: str = ""
    position: Position = Field(default_factory=Position)
    inputs: list[Variable] = Field(default_factory=list)
    outputs: list[Variable] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        # `node_type`/`title` win over the contract's `type`/`name` when both arrive (an editor
        # that renamed a node sends the new title beside the old name it read).
        if not isinstance(data, dict):
            return data
        data = dict(data)
        node_type, name = data.pop("type", None), data.pop("name", None)
        if data.get("node_type") in (None, ""):
            # Absent under both names: the node class's own default applies.
            if node_type in (None, ""):
                data.pop("node_type", None)
            else:
                data["node_type"] = node_type
        if data.get("title") is None and name is not None:
            data["title"] = name
        return data


class StartNode(BaseNode):
    node_type: Literal[NodeType.START] = NodeType.START


class EndNode(BaseNode):
    node_type: Literal[NodeType.END] = NodeType.END


class LanguageModelConfig(_Open):
    provider: str = ""
    model: str = ""
    parameters: dict[str, Any] = Field(default_factory=dict)


class LLMNode(BaseNode):
    node_type: Literal[NodeType.LLM] = NodeType.LLM
    prompt: str = ""
    # Saved as `model_config` (preferred when both arrive), served under both names.
    language_model_config: LanguageModelConfig = Field(
        default_factory=LanguageModelConfig, validation_alias=AliasChoices("model_config", "language_model_config")
    )

    @model_validator(mode="before")
    @classmethod
    def _one_model_config(cls, data: Any) -> Any:
        # The name not taken would otherwise be kept as an unknown key.
        if isinstance(data, dict) and "model_config" in data and "language_model_config" in data:
            data = {key: value for key, value in data.items() if key != "language_model_config"}
        return data


class TemplateTransformNode(BaseNode):
    node_type: Literal[NodeType.TEMPLATE_TRANSFORM] = NodeType.TEMPLATE_TRANSFORM
    template: str = ""


class CodeNode(BaseNode):
    node_type: Literal[NodeType.CODE] = NodeType.CODE
    code: str = ""


class HttpRequestNode(BaseNode):
    node_type: Literal[NodeType.HTTP_REQUEST] = NodeType.HTTP_REQUEST
    url: str = ""
    method: HttpMethod = HttpMethod.GET


class RetrievalConfig(_Open):
    retrieval_strategy: str = "semantic"
    k: int = 4
    score: float = 0.0


class DatasetRetrievalNode(BaseNode):
    node_type: Literal[NodeType.DATASET_RETRIEVAL] = NodeType.DATASET_RETRIEVAL
    dataset_ids: list[str] = Field(default_factory=list)
    retrieval_config: RetrievalConfig = Field(default_factory=RetrievalConfig)
    meta: dict[str, Any] = Field(default_factory=dict)


class ToolType(StrEnum):
    BUILTIN_TOOL = "builtin_tool"
    API_TOOL = "api_tool"


class ToolNode(BaseNode):
    node_type: Literal[NodeType.TOOL] = NodeType.TOOL
    tool_type: ToolType = ToolType.BUILTIN_TOOL
    # Built-in: the provider's name; API tool: the provider's id. `tool_id` is the tool's name.
    provider_id: str = ""
    tool_id: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    meta: dict[str, Any] = Field(default_factory=dict)


NODE_CLASSES: dict[NodeType, type[BaseNode]] = {
    NodeType.START: StartNode,
    NodeType.END: EndNode,
    NodeType.LLM: LLMNode,
    NodeType.TOOL: ToolNode,
    NodeType.DATASET_RETRIEVAL: DatasetRetrievalNode,
    NodeType.TEMPLATE_TRANSFORM: TemplateTransformNode,
    NodeType.HTTP_REQUEST: HttpRequestNode,
    NodeType.CODE: CodeNode,
}

AnyNode = StartNode | EndNode | LLMNode | ToolNode | DatasetRetrievalNode | TemplateTransformNode | HttpRequestNode | CodeNode


class Edge(_Open):
    id: str
    source: str
    source_type: NodeType | None = None
    target: str
    target_type: NodeType | None = None


class Graph(BaseModel):
    """A workflow's graph: its nodes (each of its own type's class) and edges."""

    nodes: list[BaseNode] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)


# What each node type produces when its outputs are not the user's to define (start declares its
# inputs as its outputs, code declares its own, end's outputs are the workflow's result).
FIXED_OUTPUTS: dict[NodeType, tuple[tuple[str, VariableType], ...]] = {
    NodeType.LLM: (("output", VariableType.STRING),),
    NodeType.TEMPLATE_TRANSFORM: (("output", VariableType.STRING),),
    NodeType.TOOL: (("text", VariableType.STRING),),
    NodeType.DATASET_RETRIEVAL: (("combine_documents", VariableType.STRING),),
    NodeType.HTTP_REQUEST: (("status_code", VariableType.INT), ("text", VariableType.STRING)),
}
