"""The tool node: a built-in or API tool called with the node's inputs."""

from .node import ToolNodeRunner

__all__ = ["ToolNodeRunner"]
