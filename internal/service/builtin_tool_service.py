"""Reads the built-in tool catalog for the plugin square and the app editor."""

from dataclasses import dataclass

from injector import inject

from internal.core.tools.builtin_tools import BuiltinToolCatalog, CategoryEntity, ProviderEntity, ToolEntity
from internal.exception import NotFoundException
from pkg.catalog_files import Icon


@inject
@dataclass
class BuiltinToolService:
    catalog: BuiltinToolCatalog

    def get_categories(self) -> list[CategoryEntity]:
        return self.catalog.categories

    def get_providers(self) -> list[ProviderEntity]:
        return self.catalog.providers

    def get_tool(self, provider_name: str, tool_name: str) -> tuple[ProviderEntity, ToolEntity]:
        provider = self.catalog.provider(provider_name)
        tool = provider.entity.tool(tool_name) if provider else None
        if tool is None:
            raise NotFoundException("该内置工具不存在")
        return provider.entity, tool

    def get_provider_icon(self, provider_name: str) -> Icon:
        provider = self.catalog.provider(provider_name)
        if provider is None:
            raise NotFoundException("该内置插件提供者不存在")
        return provider.icon
