"""The start node: hands on the run's inputs (already coerced by `coerce_inputs`)."""

from .node import StartNodeRunner

__all__ = ["StartNodeRunner"]
