"""Custom API tool providers of an account: one OpenAPI schema each, one tool per operation."""

import uuid
from dataclasses import dataclass

from injector import inject
from langchain_core.tools import BaseTool
from sqlalchemy import delete, select

from config import Settings
from internal.core.tools.api_tools import (
    ApiToolParameter,
    ApiToolSpec,
    HttpHeader,
    OpenAPISchema,
    OpenAPISchemaError,
    build_api_tool,
    parse_openapi_schema,
)
from internal.exception import NotFoundException, ValidateErrorException
from internal.model import ApiTool, ApiToolProvider
from internal.schema.api_tool import CreateApiToolProviderReq, GetApiToolProvidersReq, UpdateApiToolProviderReq
from pkg.guarded_http import GuardedHttpClient
from pkg.paginator import Paginator, paginate

from .base_service import BaseService

PROVIDER_NOT_FOUND = "该工具提供者不存在"
DUPLICATE_NAME = "name: 该工具提供者名字已存在"


@inject
@dataclass
class ApiToolService(BaseService):
    settings: Settings
    guarded_http: GuardedHttpClient

    def validate_openapi_schema(self, openapi_schema: str) -> OpenAPISchema:
        try:
            return parse_openapi_schema(openapi_schema)
        except OpenAPISchemaError as exc:
            raise ValidateErrorException(str(exc)) from None

    def create(self, account_id: uuid.UUID, req: CreateApiToolProviderReq) -> ApiToolProvider:
        schema = self.validate_openapi_schema(req.openapi_schema)
        self.check_name_free(ApiToolProvider, account_id, req.name, DUPLICATE_NAME)
        provider = ApiToolProvider(account_id=account_id)
        with self.saving_unique_name(DUPLICATE_NAME):
            self._fill(provider, req, schema)
            self.db.session.add(provider)
            self.db.session.flush()  # gives the provider its id for its tools
            self._add_tools(provider, schema)
        return provider

    def update(self, account_id: uuid.UUID, provider_id: uuid.UUID, req: UpdateApiToolProviderReq) -> ApiToolProvider:
        """Replaces the provider's tools with the new schema's, all in one transaction."""
        provider = self.get_provider(account_id, provider_id)
        schema = self.validate_openapi_schema(req.openapi_schema)
        self.check_name_free(ApiToolProvider, account_id, req.name, DUPLICATE_NAME, excluding=provider.id)
        with self.saving_unique_name(DUPLICATE_NAME):
            self._fill(provider, req, schema)
            # A bulk delete runs now; deleting tool objects would run after the inserts below and
            # trip the (provider_id, name) unique key for every tool kept under the same name.
            self.db.session.execute(delete(ApiTool).where(ApiTool.provider_id == provider.id))
            self._add_tools(provider, schema)
        return provider

    def delete(self, account_id: uuid.UUID, provider_id: uuid.UUID) -> None:
        provider = self.get_provider(account_id, provider_id)
        with self.db.auto_commit():
            self.db.session.execute(delete(ApiTool).where(ApiTool.provider_id == provider.id))
            self.db.session.delete(provider)

    def get_provider(self, account_id: uuid.UUID, provider_id: uuid.UUID) -> ApiToolProvider:
        return self.get_owned(ApiToolProvider, provider_id, account_id, PROVIDER_NOT_FOUND)

    def get_tool(
        self, account_id: uuid.UUID, provider_id: uuid.UUID, tool_name: str
    ) -> tuple[ApiTool, ApiToolProvider]:
        provider = self.get_provider(account_id, provider_id)
        tool = self.db.session.scalar(
            select(ApiTool).where(ApiTool.provider_id == provider.id, ApiTool.name == tool_name)
        )
        if tool is None:
            raise NotFoundException("该工具不存在")
        return tool, provider

    def list_api_tool_providers(
        self, account_id: uuid.UUID, req: GetApiToolProvidersReq
    ) -> tuple[list[tuple[ApiToolProvider, list[ApiTool]]], Paginator]:
        """A page of the account's providers, newest first, each with its tools."""
        stmt = select(ApiToolProvider).where(ApiToolProvider.account_id == account_id)
        if req.search_word:
            pattern = "%" + _escape_like(req.search_word) + "%"
            stmt = stmt.where(ApiToolProvider.name.ilike(pattern, escape="\\"))
        stmt = stmt.order_by(ApiToolProvider.created_at.desc(), ApiToolProvider.id.desc())
        providers, paginator = paginate(self.db.session, stmt, req)

        tools_by_provider: dict[uuid.UUID, list[ApiTool]] = {provider.id: [] for provider in providers}
        if providers:
            tools = self.db.session.scalars(
                select(ApiTool)
                .where(ApiTool.provider_id.in_(tools_by_provider))
                .order_by(ApiTool.created_at, ApiTool.name)
            )
            for tool in tools:
                tools_by_provider[tool.provider_id].append(tool)
        return [(provider, tools_by_provider[provider.id]) for provider in providers], paginator

    def build_langchain_tool(self, account_id: uuid.UUID, provider_id: uuid.UUID, tool_name: str) -> BaseTool:
        """The tool an agent calls; it holds plain data only, so it works after the session closes."""
        tool, provider = self.get_tool(account_id, provider_id, tool_name)
        return self.langchain_tool(tool, provider)

    def langchain_tool(self, tool: ApiTool, provider: ApiToolProvider) -> BaseTool:
        """The agent tool for an API tool already loaded (and checked) by the caller."""
        spec = ApiToolSpec(
            name=tool.name,
            description=tool.description,
            url=tool.url,
            method=tool.method,
            parameters=[ApiToolParameter.model_validate(parameter) for parameter in tool.parameters],
            headers=[HttpHeader.model_validate(header) for header in provider.headers],
        )
        return build_api_tool(spec, self.guarded_http, self.settings.outbound.api_tool_max_response_chars)

    @staticmethod
    def _fill(provider: ApiToolProvider, req: CreateApiToolProviderReq, schema: OpenAPISchema) -> None:
        provider.name = req.name
        provider.icon = req.icon
        provider.description = schema.description
        provider.openapi_schema = req.openapi_schema
        provider.headers = [header.model_dump() for header in req.headers]

    def _add_tools(self, provider: ApiToolProvider, schema: OpenAPISchema) -> None:
        for operation in schema.operations:
            self.db.session.add(
                ApiTool(
                    account_id=provider.account_id,
                    provider_id=provider.id,
                    name=operation.name,
                    description=operation.description,
                    url=schema.url_of(operation),
                    method=operation.method,
                    parameters=[parameter.stored() for parameter in operation.parameters],
                )
            )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
