"""API keys of the open API (llmops-api.md §9.1-9.5): create, delete, update, switch on or off,
and list them page by page."""

import uuid
from dataclasses import dataclass

from injector import inject

from internal.middleware import current_account
from internal.schema.api_key import ApiKeyResp, CreateApiKeyReq, UpdateApiKeyIsActiveReq, UpdateApiKeyReq
from internal.schema.common import Page
from internal.service.api_key_service import ApiKeyService
from pkg.paginator import PageReq, page_body
from pkg.response import success_json, success_message

from .endpoint import endpoint


@inject
@dataclass
class ApiKeyHandler:
    api_key_service: ApiKeyService

    @endpoint(body=CreateApiKeyReq, tags=("openapi",))
    def create_api_key(self, body: CreateApiKeyReq):
        """Create an API key; read its value from the list."""
        self.api_key_service.create(current_account().id, body.is_active, body.remark)
        return success_message("创建API秘钥成功")

    @endpoint(tags=("openapi",))
    def delete_api_key(self, api_key_id: uuid.UUID):
        """Delete an API key; it stops working at once."""
        self.api_key_service.delete(current_account().id, api_key_id)
        return success_message("删除API秘钥成功")

    @endpoint(body=UpdateApiKeyReq, tags=("openapi",))
    def update_api_key(self, api_key_id: uuid.UUID, body: UpdateApiKeyReq):
        """Change whether an API key is active and its remark."""
        self.api_key_service.update(current_account().id, api_key_id, is_active=body.is_active, remark=body.remark)
        return success_message("修改API秘钥成功")

    @endpoint(body=UpdateApiKeyIsActiveReq, tags=("openapi",))
    def update_api_key_is_active(self, api_key_id: uuid.UUID, body: UpdateApiKeyIsActiveReq):
        """Switch an API key on or off."""
        self.api_key_service.update(current_account().id, api_key_id, is_active=body.is_active)
        return success_message("修改API秘钥状态成功")

    @endpoint(query=PageReq, resp=Page[ApiKeyResp], tags=("openapi",))
    def get_api_keys_with_page(self, query: PageReq):
        """The account's API keys, newest first."""
        api_keys, paginator = self.api_key_service.list_api_keys(current_account().id, query)
        return success_json(page_body(ApiKeyResp.render_many(api_keys), paginator))
