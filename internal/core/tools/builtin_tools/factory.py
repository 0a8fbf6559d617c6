"""Turns a provider name, a tool name and the user's settings into a tool an agent can call."""

from dataclasses import dataclass
from typing import Any

from injector import inject
from pydantic import ValidationError

from config import Settings
from internal.exception import ValidateErrorException
from pkg.guarded_http import GuardedHttpClient
from pkg.validation_message import describe_validation_error

from .base import BuiltinTool
from .catalog import BuiltinToolCatalog
from .params import resolve_params


@inject
@dataclass
class BuiltinToolFactory:
    catalog: BuiltinToolCatalog
    settings: Settings
    guarded_http: GuardedHttpClient

    def create(self, provider_name: str, tool_name: str, params: Any = None) -> BuiltinTool:
        definition = self.catalog.tool(provider_name, tool_name)
        if definition is None:
            raise ValidateErrorException(f"内置工具{provider_name}/{tool_name}不存在")
        resolved = resolve_params(definition.entity, {} if params is None else params)
        try:
            return definition.tool_class(
                name=definition.entity.name,
                description=definition.entity.description,
                args_schema=definition.args_schema,
                settings=self.settings,
                guarded_http=self.guarded_http,
                **resolved,
            )
        except ValidationError as exc:
            # A tool's own field validators (e.g. a time zone that does not exist) speak here.
            raise ValidateErrorException(f"params.{describe_validation_error(exc)}") from None
