"""Every AI Stack system's models, imported so that the metadata (and `flask db`) sees them."""

from internal.aistack.stock import models as stock_models

__all__ = ["stock_models"]
