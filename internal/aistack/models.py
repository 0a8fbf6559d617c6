"""Every AI Stack system's models, imported so the metadata (and `flask db`) sees them."""

from .chat import models as chat_models

__all__ = ["chat_models"]
