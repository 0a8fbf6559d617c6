"""The knowledge retrieval node: its `query` input searched in the node's datasets."""

from .node import DatasetRetrievalNodeRunner

__all__ = ["DatasetRetrievalNodeRunner"]
