"""Searches the node's datasets with its single `query` input; the documents come back as one text."""

from typing import Any

from ...entities import BaseNode, DatasetRetrievalNode, NodeType
from ...ports import WorkflowPorts
from ..base import NodeError, WorkflowNodeRunner


class DatasetRetrievalNodeRunner(WorkflowNodeRunner):
    node_type = NodeType.DATASET_RETRIEVAL

    def run(self, node: BaseNode, inputs: dict[str, Any], ports: WorkflowPorts, timeout: float) -> dict[str, Any]:
        assert isinstance(node, DatasetRetrievalNode)
        query = inputs.get("query")
        if query is None and len(inputs) == 1:
            query = next(iter(inputs.values()))  # the single input under another name
        if not isinstance(query, str) or not query.strip():
            raise NodeError("inputs.query: 检索内容不能为空")
        return {"combine_documents": ports.retrieve(list(node.dataset_ids), node.retrieval_config, query)}
