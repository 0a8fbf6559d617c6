"""Every AI Stack system's models, imported so the metadata (and `flask db`) sees them."""

from internal.aistack.rag import models as rag_models

__all__ = ["rag_models"]
