"""Built-in app templates of the app square: categories and one YAML file per template."""

from .catalog import BuiltinApp, BuiltinAppCatalog, BuiltinAppCatalogError
from .entities import BuiltinAppCategory, BuiltinAppEntity

__all__ = [
    "BuiltinApp",
    "BuiltinAppCatalog",
    "BuiltinAppCatalogError",
    "BuiltinAppCategory",
    "BuiltinAppEntity",
]
