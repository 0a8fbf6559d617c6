"""The LLM node: a prompt with `{{name}}` references, sent once to the configured model."""

from .node import LLMNodeRunner, render_prompt

__all__ = ["LLMNodeRunner", "render_prompt"]
