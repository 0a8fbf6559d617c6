"""The agent app configuration: its fields, their allowed values and the defaults of a new app."""

from .defaults import CONFIG_FIELDS, default_app_config
from .values import RETRIEVAL_STRATEGIES, TTS_VOICES, ToolType

__all__ = ["CONFIG_FIELDS", "RETRIEVAL_STRATEGIES", "TTS_VOICES", "ToolType", "default_app_config"]
