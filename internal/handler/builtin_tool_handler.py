"""The built-in tool catalog (llmops-api.md §2.1-2.4): categories, providers with their tools,
one tool, and a provider's icon (public, so an `<img>` can load it)."""

from dataclasses import dataclass

from injector import inject

from internal.middleware import AuthKind
from internal.schema.builtin_tool import BuiltinCategoryResp, BuiltinProviderResp, BuiltinToolDetailResp
from internal.service.builtin_tool_service import BuiltinToolService
from pkg.response import icon_response, success_json

from .endpoint import endpoint


@inject
@dataclass
class BuiltinToolHandler:
    builtin_tool_service: BuiltinToolService

    @endpoint(resp=list[BuiltinCategoryResp], tags=("builtin-tools",))
    def get_categories(self):
        """Every category of the plugin square, each with its SVG icon markup."""
        return success_json(BuiltinCategoryResp.render_many(self.builtin_tool_service.get_categories()))

    @endpoint(resp=list[BuiltinProviderResp], tags=("builtin-tools",))
    def get_builtin_tools(self):
        """Every built-in provider with all its tools, at once."""
        return success_json(BuiltinProviderResp.render_many(self.builtin_tool_service.get_providers()))

    @endpoint(resp=BuiltinToolDetailResp, tags=("builtin-tools",))
    def get_provider_tool(self, provider_name: str, tool_name: str):
        """One tool with its provider, for the tool-settings dialog."""
        provider, tool = self.builtin_tool_service.get_tool(provider_name, tool_name)
        return success_json(BuiltinToolDetailResp.render_tool(provider, tool))

    @endpoint(auth=AuthKind.NONE, raw_response="image/*", tags=("builtin-tools",))
    def get_provider_icon(self, provider_name: str):
        """The provider's icon as raw SVG or PNG; public, since <img> tags send no token."""
        icon = self.builtin_tool_service.get_provider_icon(provider_name)
        return icon_response(icon.content, icon.mimetype)
