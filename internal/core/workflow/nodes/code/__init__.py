"""The code node: the user's `def main(params) -> dict`, run by the sandbox, never in this process."""

from .node import CodeNodeRunner

__all__ = ["CodeNodeRunner"]
