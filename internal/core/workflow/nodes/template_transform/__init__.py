"""The template node: a Jinja2 template rendered in the immutable sandbox, with time and size limits."""

from .node import TemplateTransformNodeRunner, render_template

__all__ = ["TemplateTransformNodeRunner", "render_template"]
