"""What a workflow graph may use, as one account sees it: the GraphResources the strict
validation asks about models, built-in and API tools, and datasets."""

import uuid
from dataclasses import dataclass

from injector import inject
from sqlalchemy import select

from internal.core.language_model.factory import LanguageModelFactory
from internal.core.tools.builtin_tools import BuiltinToolCatalog
from internal.core.workflow.validation import GraphResources
from internal.extension.database import SQLAlchemy
from internal.model import ApiTool, ApiToolProvider, Dataset


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
