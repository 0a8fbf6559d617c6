"""Every node type's runner, registered by its NodeType (one folder per type)."""

from ..entities import NodeType
from .base import NodeError, WorkflowNodeRunner
from .code import CodeNodeRunner
from .dataset_retrieval import DatasetRetrievalNodeRunner
from .end import EndNodeRunner
from .http_request import HttpRequestNodeRunner
from .llm import LLMNodeRunner
from .start import StartNodeRunner
from .template_transform import TemplateTransformNodeRunner
from .tool import ToolNodeRunner

NODE_RUNNERS: dict[NodeType, WorkflowNodeRunner] = {
    runner.node_type: runner
    for runner in (
        StartNodeRunner(),
        EndNodeRunner(),
        LLMNodeRunner(),
        ToolNodeRunner(),
        DatasetRetrievalNodeRunner(),
        TemplateTransformNodeRunner(),
        HttpRequestNodeRunner(),
        CodeNodeRunner(),
    )
}

__all__ = ["NODE_RUNNERS", "NodeError", "WorkflowNodeRunner"]
