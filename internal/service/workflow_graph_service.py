"""What a workflow graph may use, as one account sees it: the GraphResources the strict
validation asks about models, built-in and API tools, and datasets."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from injector import inject
from sqlalchemy import select

from internal.core.app_config import ToolType as BindingType
from internal.core.language_model.factory import LanguageModelFactory
from internal.core.tools.builtin_tools import BuiltinToolCatalog
from internal.core.workflow.entities import ToolType
from internal.core.workflow.validation import GraphResources
from internal.extension.database import SQLAlchemy
from internal.model import ApiTool, ApiToolProvider, Dataset
from internal.schema.app_config import render_bound_tool


@dataclass
class AccountGraphResources:
    """GraphResources of one account (reads only; used inside the caller's session)."""

    db: SQLAlchemy
    language_model_factory: LanguageModelFactory
    builtin_tool_catalog: BuiltinToolCatalog
    account_id: uuid.UUID

    def check_model(self, provider: str, model: str, parameters: dict) -> None:
        self.language_model_factory.resolve(provider, model, parameters)

    def has_builtin_tool(self, provider_name: str, tool_name: str) -> bool:
        return self.builtin_tool_catalog.tool(provider_name, tool_name) is not None

    def has_api_tool(self, provider_id: uuid.UUID, tool_name: str) -> bool:
        found = self.db.session.scalar(
            select(ApiTool.id)
            .join(ApiToolProvider, ApiToolProvider.id == ApiTool.provider_id)
            .where(
                ApiToolProvider.id == provider_id,
                ApiToolProvider.account_id == self.account_id,
                ApiTool.name == tool_name,
            )
            .limit(1)
        )
        return found is not None

    def missing_datasets(self, dataset_ids: list[uuid.UUID]) -> list[uuid.UUID]:
        owned = set(
            self.db.session.scalars(
                select(Dataset.id).where(Dataset.id.in_(dataset_ids), Dataset.account_id == self.account_id)
            )
        )
        return [dataset_id for dataset_id in dataset_ids if dataset_id not in owned]


@dataclass(frozen=True)
class _ShownTool:
    """What `render_bound_tool` reads of a tool a node names."""

    type: BindingType
    provider: Any
    tool: Any
    params: dict


@inject
@dataclass
class WorkflowGraphService:
    db: SQLAlchemy
    language_model_factory: LanguageModelFactory
    builtin_tool_catalog: BuiltinToolCatalog

    def resources(self, account_id: uuid.UUID) -> GraphResources:
        return AccountGraphResources(self.db, self.language_model_factory, self.builtin_tool_catalog, account_id)

    def datasets_for_display(self, account_id: uuid.UUID, dataset_ids: list[str]) -> dict[str, dict]:
        """The account's datasets among `dataset_ids` as a retrieval node's `meta.datasets` shows them."""
        ids = set()
        for dataset_id in dataset_ids:
            try:
                ids.add(uuid.UUID(str(dataset_id)))
            except ValueError:
                continue
        if not ids:
            return {}
        datasets = self.db.session.scalars(select(Dataset).where(Dataset.id.in_(ids), Dataset.account_id == account_id))
        return {
            str(dataset.id): {
                "id": str(dataset.id),
                "name": dataset.name,
                "icon": dataset.icon,
                "description": dataset.description,
            }
            for dataset in datasets
        }

    def tools_for_display(
        self, account_id: uuid.UUID, nodes: list[Any], builtin_icon_url: Callable[[str], str]
    ) -> dict[tuple[str, str, str], dict]:
        """The built-in and the account's API tools that tool nodes name, keyed by the node's
        `(tool_type, provider_id, tool_id)`, as a tool node's `meta` shows them."""
        shown: dict[tuple[str, str, str], dict] = {}
        api_keys: dict[tuple[uuid.UUID, str], tuple[str, str, str]] = {}
        for node in nodes:
            if not isinstance(node, dict) or node.get("node_type", node.get("type")) != "tool":
                continue
            tool_type, provider_id, tool_id = (str(node.get(key) or "") for key in ("tool_type", "provider_id", "tool_id"))
            key = (tool_type or ToolType.BUILTIN_TOOL.value, provider_id, tool_id)
            if key[0] == ToolType.BUILTIN_TOOL.value:
                provider = self.builtin_tool_catalog.provider(provider_id)
                definition = provider.tools.get(tool_id) if provider else None
                if definition is not None:
                    bound = _ShownTool(BindingType.BUILTIN_TOOL, provider.entity, definition.entity, node.get("params") or {})
                    shown[key] = render_bound_tool(bound, builtin_icon_url)
            else:
                try:
                    api_keys[(uuid.UUID(provider_id), tool_id)] = key
                except ValueError:
                    continue
        if api_keys:
            rows = self.db.session.execute(
                select(ApiTool, ApiToolProvider)
                .join(ApiToolProvider, ApiToolProvider.id == ApiTool.provider_id)
                .where(
                    ApiToolProvider.id.in_({provider_id for provider_id, _ in api_keys}),
                    ApiToolProvider.account_id == account_id,
                    ApiTool.name.in_({name for _, name in api_keys}),
                )
            )
            for api_tool, provider in rows:
                key = api_keys.get((provider.id, api_tool.name))
                if key is not None:
                    shown[key] = render_bound_tool(_ShownTool(BindingType.API_TOOL, provider, api_tool, {}), builtin_icon_url)
        return shown
