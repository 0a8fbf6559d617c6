"""Built-in tools: a declarative catalog of providers and the LangChain tools behind them."""

from .base import BuiltinTool
from .catalog import BuiltinProvider, BuiltinToolCatalog, BuiltinToolDefinition
from .entities import CategoryEntity, ProviderEntity, ToolEntity, ToolInput, ToolParam
from .factory import BuiltinToolFactory

__all__ = [
    "BuiltinProvider",
    "BuiltinTool",
    "BuiltinToolCatalog",
    "BuiltinToolDefinition",
    "BuiltinToolFactory",
    "CategoryEntity",
    "ProviderEntity",
    "ToolEntity",
    "ToolInput",
    "ToolParam",
]
