"""Custom API tool providers (llmops-api.md §2.5, §2.7-2.12): list, create, read, update and
delete them, read one of their tools, and check an OpenAPI schema before saving it."""

import uuid
from dataclasses import dataclass

from injector import inject

from internal.middleware import current_account
from internal.schema.api_tool import (
    ApiToolProviderItemResp,
    ApiToolProviderResp,
    ApiToolResp,
    CreateApiToolProviderReq,
    GetApiToolProvidersReq,
    UpdateApiToolProviderReq,
    ValidateOpenAPISchemaReq,
)
from internal.schema.common import Page
from internal.service.api_tool_service import ApiToolService
from pkg.paginator import page_body
from pkg.response import success_json, success_message

from .endpoint import endpoint

_TAGS = ("api-tools",)


@inject
@dataclass
class ApiToolHandler:
    api_tool_service: ApiToolService

    @endpoint(query=GetApiToolProvidersReq, resp=Page[ApiToolProviderItemResp], tags=_TAGS)
    def get_api_tool_providers_with_page(self, query: GetApiToolProvidersReq):
        """The account's custom API tool providers with their tools, newest first; `search_word` matches names."""
        providers, paginator = self.api_tool_service.list_api_tool_providers(current_account().id, query)
        items = [ApiToolProviderItemResp.render_with_tools(provider, tools) for provider, tools in providers]
        return success_json(page_body(items, paginator))

    @endpoint(body=CreateApiToolProviderReq, tags=_TAGS)
    def create_api_tool_provider(self, body: CreateApiToolProviderReq):
        """Create a provider from an OpenAPI schema string; one tool per operationId."""
        self.api_tool_service.create(current_account().id, body)
        return success_message("创建自定义API插件成功")

    @endpoint(body=ValidateOpenAPISchemaReq, tags=_TAGS)
    def validate_openapi_schema(self, body: ValidateOpenAPISchemaReq):
        """Check a schema string against the project's convention; stores nothing."""
        self.api_tool_service.validate_openapi_schema(body.openapi_schema)
        return success_message("openapi-schema数据格式无误")

    @endpoint(resp=ApiToolProviderResp, tags=_TAGS)
    def get_api_tool_provider(self, provider_id: uuid.UUID):
        """One provider with its schema string."""
        provider = self.api_tool_service.get_provider(current_account().id, provider_id)
        return success_json(ApiToolProviderResp.render(provider))

    @endpoint(body=UpdateApiToolProviderReq, tags=_TAGS)
    def update_api_tool_provider(self, provider_id: uuid.UUID, body: UpdateApiToolProviderReq):
        """Update a provider; its tools are replaced by the new schema's operations."""
        self.api_tool_service.update(current_account().id, provider_id, body)
        return success_message("更新自定义API插件成功")

    @endpoint(tags=_TAGS)
    def delete_api_tool_provider(self, provider_id: uuid.UUID):
        """Delete a provider and its tools."""
        self.api_tool_service.delete(current_account().id, provider_id)
        return success_message("删除自定义API插件成功")

    @endpoint(resp=ApiToolResp, tags=_TAGS)
    def get_api_tool(self, provider_id: uuid.UUID, tool_name: str):
        """One tool of a provider, by its name (the operationId)."""
        tool, provider = self.api_tool_service.get_tool(current_account().id, provider_id, tool_name)
        return success_json(ApiToolResp.render_with_provider(tool, provider))
