"""Reads the built-in tool catalog once: categories, provider folders, their icons and tool classes.

A provider is a folder under `providers/` holding `provider.yaml`, its icon, and one module per
tool named after the tool, defining one `BuiltinTool` subclass. Adding a provider means adding
a folder. Anything inconsistent fails start-up with the file it came from.
"""

import importlib
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, create_model

from pkg.catalog_files import Icon, load_icon, read_yaml

from .base import BuiltinTool
from .entities import CategoryEntity, ProviderEntity, ToolEntity, ToolInputType
from .params import check_param_value

PACKAGE_DIR = Path(__file__).resolve().parent
CATEGORIES_FILE = PACKAGE_DIR / "categories" / "categories.yaml"
PROVIDERS_DIR = PACKAGE_DIR / "providers"
PROVIDERS_PACKAGE = f"{__package__}.providers"
PROVIDER_FILE = "provider.yaml"

_INPUT_PYTHON_TYPES = {
    ToolInputType.STRING: str,
    ToolInputType.NUMBER: float,
    ToolInputType.INTEGER: int,
    ToolInputType.BOOLEAN: bool,
}


class BuiltinToolCatalogError(RuntimeError):
    pass



@dataclass(frozen=True)
class BuiltinToolDefinition:
    entity: ToolEntity
    tool_class: type[BuiltinTool]
    args_schema: type[BaseModel]


@dataclass(frozen=True)
class BuiltinProvider:
    entity: ProviderEntity
    icon: Icon
    tools: dict[str, BuiltinToolDefinition]


def build_args_schema(tool: ToolEntity) -> type[BaseModel]:
    """The pydantic model the LLM's arguments are checked against, made from the YAML `inputs`."""
    fields: dict[str, Any] = {}
    for tool_input in tool.inputs:
        python_type = _INPUT_PYTHON_TYPES[tool_input.type]
        if tool_input.required:
            fields[tool_input.name] = (python_type, Field(description=tool_input.description))
        else:
            fields[tool_input.name] = (python_type | None, Field(None, description=tool_input.description))
    model_name = "".join(part.capitalize() for part in tool.name.split("_")) + "Args"
    return create_model(model_name, **fields)


def _find_tool_class(module_name: str) -> type[BuiltinTool]:
    module = importlib.import_module(module_name)
    classes = [
        member
        for member in vars(module).values()
        if inspect.isclass(member) and issubclass(member, BuiltinTool) and member.__module__ == module.__name__
    ]
    if len(classes) != 1:
        raise BuiltinToolCatalogError(f"{module_name} must define exactly one BuiltinTool subclass, found {len(classes)}")
    return classes[0]


def _check_tool_class(tool: ToolEntity, tool_class: type[BuiltinTool], where: str) -> None:
    parameters = inspect.signature(tool_class.execute).parameters
    accepted = {name for name in parameters if name != "self"}
    declared = {tool_input.name for tool_input in tool.inputs}
    if accepted != declared:
        raise BuiltinToolCatalogError(f"{where}: inputs {sorted(declared)} do not match execute() arguments {sorted(accepted)}")
    for param in tool.params:
        if param.name not in tool_class.model_fields:
            raise BuiltinToolCatalogError(f"{where}: param {param.name} is not a field of {tool_class.__name__}")
        if param.default is not None:
            try:
                check_param_value(param, param.default)
            except Exception as exc:
                raise BuiltinToolCatalogError(f"{where}: default of param {param.name} is invalid: {exc}") from exc


def _load_provider(folder: Path, category_keys: set[str]) -> BuiltinProvider:
    where = str(folder / PROVIDER_FILE)
    try:
        entity = ProviderEntity.model_validate(read_yaml(folder / PROVIDER_FILE, BuiltinToolCatalogError))
    except ValueError as exc:
        raise BuiltinToolCatalogError(f"{where}: {exc}") from exc
    if entity.name != folder.name:
        raise BuiltinToolCatalogError(f"{where}: name {entity.name} must equal the folder name")
    if entity.category not in category_keys:
        raise BuiltinToolCatalogError(f"{where}: unknown category {entity.category}")

    tools: dict[str, BuiltinToolDefinition] = {}
    for tool in entity.tools:
        if tool.name in tools:
            raise BuiltinToolCatalogError(f"{where}: tool {tool.name} is declared twice")
        tool_class = _find_tool_class(f"{PROVIDERS_PACKAGE}.{folder.name}.{tool.name}")
        _check_tool_class(tool, tool_class, f"{where} ({tool.name})")
        tools[tool.name] = BuiltinToolDefinition(tool, tool_class, build_args_schema(tool))
    return BuiltinProvider(entity=entity, icon=load_icon(folder, entity.icon, BuiltinToolCatalogError, where), tools=tools)


def _load_categories(path: Path) -> list[CategoryEntity]:
    categories = []
    for raw in read_yaml(path, BuiltinToolCatalogError) or []:
        icon_path = path.parent / "icons" / str(raw.get("icon", ""))
        if icon_path.suffix != ".svg" or not icon_path.is_file():
            raise BuiltinToolCatalogError(f"{path}: category {raw.get('category')} needs an svg icon in icons/")
        try:
            categories.append(CategoryEntity.model_validate({**raw, "icon": icon_path.read_text(encoding="utf-8")}))
        except ValueError as exc:
            raise BuiltinToolCatalogError(f"{path}: {exc}") from exc
    return categories


class BuiltinToolCatalog:
    """Every built-in category, provider and tool, loaded once and read-only afterwards."""

    def __init__(self, categories: list[CategoryEntity], providers: list[BuiltinProvider]):
        self.categories = categories
        self._providers = {provider.entity.name: provider for provider in providers}

    @classmethod
    def load(cls) -> "BuiltinToolCatalog":
        categories = _load_categories(CATEGORIES_FILE)
        category_keys = {category.category for category in categories}
        folders = sorted(path.parent for path in PROVIDERS_DIR.glob(f"*/{PROVIDER_FILE}"))
        providers = [_load_provider(folder, category_keys) for folder in folders]
        providers.sort(key=lambda provider: (provider.entity.position, provider.entity.name))
        return cls(categories, providers)

    @property
    def providers(self) -> list[ProviderEntity]:
        return [provider.entity for provider in self._providers.values()]

    def provider(self, name: str) -> BuiltinProvider | None:
        return self._providers.get(name)

    def tool(self, provider_name: str, tool_name: str) -> BuiltinToolDefinition | None:
        provider = self._providers.get(provider_name)
        return provider.tools.get(tool_name) if provider else None
