"""The HTTP request node: a request built from the node's inputs, sent through the guarded client."""

from .node import HttpRequestNodeRunner

__all__ = ["HttpRequestNodeRunner"]
