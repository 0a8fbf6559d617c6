"""An app's configurations: reading the draft with its bindings checked, updating it, and the
bookkeeping every configuration write shares (stored values, dataset bindings).

A binding to something that no longer exists for the account (a deleted API tool or dataset, a
built-in tool the catalog dropped, a workflow) is removed when the draft is read, and the
removal is saved. Copies, roll-backs and templates go through the same pruning and the same
validation as an update before they become a draft.
"""

import copy
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from injector import inject
from pydantic import ValidationError
from sqlalchemy import delete, func, select

from internal.core.app_config import CONFIG_FIELDS, ToolType, default_app_config
from internal.core.tools.builtin_tools import BuiltinToolCatalog, ProviderEntity, ToolEntity
from internal.exception import ValidateErrorException
from internal.extension.database import utcnow
from internal.model import ApiTool, ApiToolProvider, App, AppConfig, AppDatasetJoin, Dataset, Workflow
from internal.model.app import AppConfigKind
from internal.schema.app_config import UpdateAppConfigReq
from pkg.validation_message import describe_validation_error

from .app_base_service import AppBaseService
from .app_config_validator import AppConfigValidator
from .workflow_service import WorkflowService


@dataclass(frozen=True)
class BoundBuiltinTool:
    type: ClassVar[ToolType] = ToolType.BUILTIN_TOOL
    provider: ProviderEntity
    tool: ToolEntity
    params: dict[str, Any]


@dataclass(frozen=True)
class BoundApiTool:
    type: ClassVar[ToolType] = ToolType.API_TOOL
    provider: ApiToolProvider
    tool: ApiTool


@dataclass
class Bindings:
    """What a configuration's references point at, in the configuration's order."""

    tools: list[BoundBuiltinTool | BoundApiTool] = field(default_factory=list)
    workflows: list[Workflow] = field(default_factory=list)
    datasets: list[Dataset] = field(default_factory=list)


@dataclass(frozen=True)
class DraftConfig:
    config: AppConfig
    bindings: Bindings


def config_values(config: AppConfig) -> dict[str, Any]:
    """The configuration fields of a row, copied so changing them leaves the row alone."""
    return {name: copy.deepcopy(getattr(config, name)) for name in CONFIG_FIELDS}


def _parse_uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@inject
@dataclass
class AppConfigService(AppBaseService):
    validator: AppConfigValidator
    builtin_tool_catalog: BuiltinToolCatalog
    workflow_service: WorkflowService

    # --- the draft, through the API -------------------------------------------------------------

    def get_draft(self, account_id: uuid.UUID, app_id: uuid.UUID) -> DraftConfig:
        app = self.get_app(account_id, app_id)
        draft = self.get_config(app.id, AppConfigKind.DRAFT)
        values = config_values(draft)
        pruned, bindings = self._prune(account_id, values)
        removed = {name: value for name, value in pruned.items() if value != values[name]}
        if removed:
            with self.db.auto_commit():
                self.write(draft, removed)
                self.sync_dataset_joins(app.id)
        return DraftConfig(draft, bindings)

    def update_draft(self, account_id: uuid.UUID, app_id: uuid.UUID, req: UpdateAppConfigReq) -> AppConfig:
        """Validates every key sent before writing any of them."""
        app = self.get_app(account_id, app_id)
        values = self.validator.validate(account_id, req)
        draft = self.get_config(app.id, AppConfigKind.DRAFT)
        with self.db.auto_commit():
            self.write(draft, values)
            app.draft_updated_at = utcnow()
            if "datasets" in values:
                self.sync_dataset_joins(app.id)
        return draft

    def runtime_config(self, account_id: uuid.UUID, config: AppConfig) -> tuple[dict[str, Any], Bindings]:
        """What an agent runs on: a configuration's values without stale bindings (the stored
        row is left alone) and what its bindings point at."""
        return self._prune(account_id, config_values(config))

    # --- shared by the app, publishing and template services -------------------------------------

    def get_config(self, app_id: uuid.UUID, kind: str) -> AppConfig | None:
        config = self.db.session.scalar(select(AppConfig).where(AppConfig.app_id == app_id, AppConfig.kind == kind))
        if config is None and kind == AppConfigKind.DRAFT:
            raise RuntimeError(f"app {app_id} has no draft configuration")
        return config

    def prepare(self, account_id: uuid.UUID | None, values: dict[str, Any]) -> dict[str, Any]:
        """A complete configuration ready to store: stale bindings dropped, everything validated.

        Fields a stored snapshot lacks (written before the field existed) take their defaults.
        """
        complete = {**default_app_config(), **{k: v for k, v in values.items() if k in CONFIG_FIELDS}}
        pruned, _ = self._prune(account_id, complete)
        try:
            req = UpdateAppConfigReq.model_validate(pruned)
        except ValidationError as exc:
            raise ValidateErrorException(describe_validation_error(exc)) from None
        return {**pruned, **self.validator.validate(account_id, req)}

    def add_config(self, app_id: uuid.UUID, kind: str, values: dict[str, Any]) -> AppConfig:
        config = AppConfig(app_id=app_id, kind=kind)
        self.write(config, values)
        self.db.session.add(config)
        return config

    @staticmethod
    def write(config: AppConfig, values: dict[str, Any]) -> None:
        for name, value in values.items():
            setattr(config, name, copy.deepcopy(value))

    def sync_dataset_joins(self, app_id: uuid.UUID) -> None:
        """Make the app's dataset bindings the union of its draft's and published config's."""
        self.db.session.flush()
        # Two writers syncing one app would both insert the same missing rows; take turns.
        self.db.session.execute(select(App.id).where(App.id == app_id).with_for_update())
        bound: set[uuid.UUID] = set()
        for datasets in self.db.session.scalars(select(AppConfig.datasets).where(AppConfig.app_id == app_id)):
            bound.update(dataset_id for dataset_id in map(_parse_uuid, datasets or []) if dataset_id)
        existing = set(self.db.session.scalars(select(AppDatasetJoin.dataset_id).where(AppDatasetJoin.app_id == app_id)))
        if existing - bound:
            self.db.session.execute(
                delete(AppDatasetJoin).where(
                    AppDatasetJoin.app_id == app_id, AppDatasetJoin.dataset_id.in_(existing - bound)
                )
            )
        for dataset_id in bound - existing:
            self.db.session.add(AppDatasetJoin(app_id=app_id, dataset_id=dataset_id))

    # --- hooks for the dataset module ---------------------------------------------------------

    def count_related_apps(self, dataset_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
        """How many apps bind each dataset (in their draft or published config); 0 is left out."""
        ids = list(dataset_ids)
        if not ids:
            return {}
        rows = self.db.session.execute(
            select(AppDatasetJoin.dataset_id, func.count(AppDatasetJoin.app_id))
            .where(AppDatasetJoin.dataset_id.in_(ids))
            .group_by(AppDatasetJoin.dataset_id)
        )
        return {dataset_id: count for dataset_id, count in rows}

    def unbind_dataset(self, dataset_id: uuid.UUID) -> None:
        """Remove a deleted dataset from every app configuration that binds it, and its bindings.

        Works before or after the dataset row is gone; safe to run more than once.
        """
        app_ids = list(self.db.session.scalars(select(AppDatasetJoin.app_id).where(AppDatasetJoin.dataset_id == dataset_id)))
        with self.db.auto_commit():
            if app_ids:
                for config in self.db.session.scalars(select(AppConfig).where(AppConfig.app_id.in_(app_ids))):
                    kept = [value for value in config.datasets or [] if _parse_uuid(value) != dataset_id]
                    if kept != config.datasets:
                        config.datasets = kept
            self.db.session.execute(delete(AppDatasetJoin).where(AppDatasetJoin.dataset_id == dataset_id))

    # --- pruning --------------------------------------------------------------------------------

    def _prune(self, account_id: uuid.UUID | None, values: dict[str, Any]) -> tuple[dict[str, Any], Bindings]:
        """The values without bindings that are gone, and what the remaining ones point at."""
        pruned = dict(values)
        bindings = Bindings()
        pruned["tools"], bindings.tools = self._existing_tools(account_id, values.get("tools") or [])
        pruned["workflows"], bindings.workflows = self._existing_workflows(account_id, values.get("workflows") or [])
        pruned["datasets"], bindings.datasets = self._existing_datasets(account_id, values.get("datasets") or [])
        return pruned, bindings

    def _existing_tools(
        self, account_id: uuid.UUID | None, tools: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[BoundBuiltinTool | BoundApiTool]]:
        api_tools, api_providers = self._load_api_tools(account_id, tools)
        kept, bound = [], []
        for entry in tools:
            if not isinstance(entry, dict):
                continue
            provider_id, tool_id = entry.get("provider_id"), entry.get("tool_id")
            if entry.get("type") == ToolType.BUILTIN_TOOL.value:
                provider = self.builtin_tool_catalog.provider(str(provider_id))
                definition = provider.tools.get(str(tool_id)) if provider else None
                if definition is None:
                    continue
                bound.append(BoundBuiltinTool(provider.entity, definition.entity, entry.get("params") or {}))
            elif entry.get("type") == ToolType.API_TOOL.value:
                api_tool = api_tools.get(_parse_uuid(tool_id))
                if api_tool is None or api_tool.provider_id != _parse_uuid(provider_id):
                    continue
                bound.append(BoundApiTool(api_providers[api_tool.provider_id], api_tool))
            else:
                continue
            kept.append(entry)
        return kept, bound

    def _load_api_tools(
        self, account_id: uuid.UUID | None, tools: list[dict[str, Any]]
    ) -> tuple[dict[uuid.UUID, ApiTool], dict[uuid.UUID, ApiToolProvider]]:
        tool_ids = {
            _parse_uuid(entry.get("tool_id"))
            for entry in tools
            if isinstance(entry, dict) and entry.get("type") == ToolType.API_TOOL.value
        } - {None}
        if account_id is None or not tool_ids:
            return {}, {}
        rows = self.db.session.execute(
            select(ApiTool, ApiToolProvider)
            .join(ApiToolProvider, ApiToolProvider.id == ApiTool.provider_id)
            .where(ApiTool.id.in_(tool_ids), ApiToolProvider.account_id == account_id)
        )
        api_tools, providers = {}, {}
        for api_tool, provider in rows:
            api_tools[api_tool.id] = api_tool
            providers[provider.id] = provider
        return api_tools, providers

    def _existing_workflows(
        self, account_id: uuid.UUID | None, workflow_ids: list[str]
    ) -> tuple[list[str], list[Workflow]]:
        """The account's published workflows among the bound ids, in order (a deleted or
        unpublished one is dropped)."""
        ids = [workflow_id for workflow_id in map(_parse_uuid, workflow_ids) if workflow_id]
        found = self.workflow_service.published_tool_workflows(account_id, ids) if account_id is not None else []
        return [str(workflow.id) for workflow in found], found

    def _existing_datasets(self, account_id: uuid.UUID | None, dataset_ids: list[str]) -> tuple[list[str], list[Dataset]]:
        ids = [dataset_id for dataset_id in map(_parse_uuid, dataset_ids) if dataset_id]
        found: dict[uuid.UUID, Dataset] = {}
        if account_id is not None and ids:
            found = {
                dataset.id: dataset
                for dataset in self.db.session.scalars(
                    select(Dataset).where(Dataset.id.in_(ids), Dataset.account_id == account_id)
                )
            }
        kept = [dataset_id for dataset_id in ids if dataset_id in found]
        return [str(dataset_id) for dataset_id in kept], [found[dataset_id] for dataset_id in kept]
