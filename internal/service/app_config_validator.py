"""Checks an app configuration update against what exists for the account and turns it into
the stored form. Nothing is written here; the caller writes the result in one transaction."""

import uuid
from dataclasses import dataclass
from typing import Any

from injector import inject
from sqlalchemy import select

from internal.core.app_config import ToolType
from internal.core.language_model.factory import LanguageModelFactory
from internal.core.tools.builtin_tools import BuiltinToolCatalog, BuiltinToolFactory
from internal.core.tools.builtin_tools.params import resolve_params
from internal.exception import ValidateErrorException
from internal.model import ApiTool, ApiToolProvider, Dataset
from internal.schema.app_config import AppConfigToolReq, ReviewConfigReq, UpdateAppConfigReq

from .base_service import BaseService
from .workflow_service import WorkflowService


def _parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@inject
@dataclass
class AppConfigValidator(BaseService):
    language_model_factory: LanguageModelFactory
    builtin_tool_catalog: BuiltinToolCatalog
    builtin_tool_factory: BuiltinToolFactory
    workflow_service: WorkflowService

    def validate(self, account_id: uuid.UUID | None, req: UpdateAppConfigReq) -> dict[str, Any]:
        """The stored values of the keys `req` carries; raises on the first problem.

        `account_id` None checks a built-in template: it may bind built-in tools only.
        """
        values: dict[str, Any] = {}
        for field in req.sent_fields():
            value = req.value_of(field)
            if field == "model_config":
                values[field] = self._model_config(value.provider, value.model, value.parameters)
            elif field == "tools":
                values[field] = self._tools(account_id, value)
            elif field == "workflows":
                values[field] = self._workflows(account_id, value)
            elif field == "datasets":
                values[field] = self._datasets(account_id, value)
            elif field == "review_config":
                values[field] = self._review_config(value)
            elif isinstance(value, list | str | int):
                values[field] = value
            else:
                values[field] = value.model_dump(mode="json")
        return values

    def _model_config(self, provider: str, model: str, parameters: dict[str, Any]) -> dict[str, Any]:
        resolved = self.language_model_factory.resolve(provider, model, parameters)
        return {"provider": provider, "model": model, "parameters": resolved.parameters}

    def _tools(self, account_id: uuid.UUID | None, tools: list[AppConfigToolReq]) -> list[dict[str, Any]]:
        stored: list[dict[str, Any]] = []
        seen: set[tuple[str, str, str]] = set()
        for index, tool in enumerate(tools):
            where = f"tools[{index}]"
            if tool.type is ToolType.BUILTIN_TOOL:
                entry = self._builtin_tool(where, tool)
            else:
                entry = self._api_tool(where, account_id, tool)
            key = (entry["type"], entry["provider_id"], entry["tool_id"])
            if key in seen:
                raise ValidateErrorException(f"{where}: 不能重复绑定同一个工具")
            seen.add(key)
            stored.append(entry)
        return stored

    def _builtin_tool(self, where: str, tool: AppConfigToolReq) -> dict[str, Any]:
        provider = self.builtin_tool_catalog.provider(tool.provider_id)
        if provider is None:
            raise ValidateErrorException(f"{where}.provider_id: 内置工具提供者{tool.provider_id}不存在")
        definition = provider.tools.get(tool.tool_id)
        if definition is None:
            raise ValidateErrorException(f"{where}.tool_id: 内置工具{tool.provider_id}/{tool.tool_id}不存在")
        try:
            params = resolve_params(definition.entity, tool.params)
            # Building the tool runs its own field checks too (a time zone that does not exist).
            self.builtin_tool_factory.create(tool.provider_id, tool.tool_id, params)
        except ValidateErrorException as exc:
            raise ValidateErrorException(f"{where}.{exc.message}") from None
        return {"type": ToolType.BUILTIN_TOOL.value, "provider_id": tool.provider_id, "tool_id": tool.tool_id, "params": params}

    def _api_tool(self, where: str, account_id: uuid.UUID | None, tool: AppConfigToolReq) -> dict[str, Any]:
        provider_id = _parse_uuid(tool.provider_id)
        if provider_id is None:
            raise ValidateErrorException(f"{where}.provider_id: 必须是合法的UUID")
        tool_id = _parse_uuid(tool.tool_id)
        if tool_id is None:
            raise ValidateErrorException(f"{where}.tool_id: 必须是合法的UUID")
        provider = self.db.session.get(ApiToolProvider, provider_id) if account_id else None
        if provider is None or provider.account_id != account_id:
            raise ValidateErrorException(f"{where}.provider_id: 该工具提供者不存在")
        api_tool = self.db.session.scalar(select(ApiTool).where(ApiTool.id == tool_id, ApiTool.provider_id == provider_id))
        if api_tool is None:
            raise ValidateErrorException(f"{where}.tool_id: 该工具不存在")
        if tool.params:
            raise ValidateErrorException(f"{where}.params: API工具不支持自定义参数")
        return {"type": ToolType.API_TOOL.value, "provider_id": str(provider_id), "tool_id": str(tool_id), "params": {}}

    def _workflows(self, account_id: uuid.UUID | None, workflow_ids: list[uuid.UUID]) -> list[str]:
        """Only the account's published workflows can be bound (the count is the schema's limit)."""
        published = set()
        if account_id is not None:
            published = {workflow.id for workflow in self.workflow_service.published_tool_workflows(account_id, workflow_ids)}
        for index, workflow_id in enumerate(workflow_ids):
            if workflow_id not in published:
                raise ValidateErrorException(f"workflows[{index}]: 该工作流不存在或未发布")
        return [str(workflow_id) for workflow_id in workflow_ids]

    def _datasets(self, account_id: uuid.UUID | None, dataset_ids: list[uuid.UUID]) -> list[str]:
        owned: set[uuid.UUID] = set()
        if account_id is not None and dataset_ids:
            owned = set(
                self.db.session.scalars(
                    select(Dataset.id).where(Dataset.id.in_(dataset_ids), Dataset.account_id == account_id)
                )
            )
        for index, dataset_id in enumerate(dataset_ids):
            if dataset_id not in owned:
                raise ValidateErrorException(f"datasets[{index}]: 该知识库不存在")
        return [str(dataset_id) for dataset_id in dataset_ids]

    @staticmethod
    def _review_config(review: ReviewConfigReq) -> dict[str, Any]:
        if review.enable:
            if not review.keywords:
                raise ValidateErrorException("review_config.keywords: 开启审核时至少需要设置一个关键词")
            if not (review.inputs_config.enable or review.outputs_config.enable):
                raise ValidateErrorException("review_config: 开启审核时输入审核和输出审核至少需要开启一项")
            if review.inputs_config.enable and not review.inputs_config.preset_response:
                raise ValidateErrorException("review_config.inputs_config.preset_response: 开启输入审核时预设回复不能为空")
        return review.model_dump(mode="json")
