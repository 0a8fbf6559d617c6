"""Every AI Stack system's models, imported so the metadata (and `flask db`) sees them."""

from internal.aistack.erp import models as erp_models

__all__ = ["erp_models"]
