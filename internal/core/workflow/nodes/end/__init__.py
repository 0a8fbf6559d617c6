"""The end node: its resolved inputs are the workflow's result."""

from .node import EndNodeRunner

__all__ = ["EndNodeRunner"]
