"""Agent apps of an account (llmops-api.md §1.1-1.6): create, read, list, copy, edit and delete."""

import uuid
from dataclasses import dataclass
from typing import Any

from injector import inject
from sqlalchemy import delete, select

from internal.core.app_config import default_app_config
from internal.model import App, AppConfig, AppConfigVersion, AppDatasetJoin
from internal.model.app import AppConfigKind, AppStatus
from internal.schema.app import CreateAppReq, GetAppsWithPageReq, UpdateAppReq
from pkg.paginator import Paginator, paginate
from pkg.sql_like import contains_pattern

from .app_base_service import AppBaseService
from .app_config_service import AppConfigService, config_values


@inject
@dataclass
class AppService(AppBaseService):
    app_config_service: AppConfigService

    def create(self, account_id: uuid.UUID, req: CreateAppReq) -> App:
        """A new app with the default draft configuration."""
        return self.create_with_config(account_id, req.name, req.icon, req.description, default_app_config())

    def create_with_config(
        self, account_id: uuid.UUID, name: str, icon: str, description: str, config: dict[str, Any]
    ) -> App:
        """A new app whose draft holds `config`, which the caller has prepared."""
        app = App(account_id=account_id, name=name, icon=icon, description=description, status=AppStatus.DRAFT)
        with self.db.auto_commit():
            self.db.session.add(app)
            self.db.session.flush()  # gives the app its id for its configuration
            self.app_config_service.add_config(app.id, AppConfigKind.DRAFT, config)
            self.app_config_service.sync_dataset_joins(app.id)
        return app

    def update(self, account_id: uuid.UUID, app_id: uuid.UUID, req: UpdateAppReq) -> App:
        app = self.get_app(account_id, app_id)
        with self.db.auto_commit():
            app.name = req.name
            app.icon = req.icon
            app.description = req.description
        return app

    def copy(self, account_id: uuid.UUID, app_id: uuid.UUID) -> App:
        """A new draft app with the base info and the (checked) draft configuration of another."""
        source = self.get_app(account_id, app_id)
        draft = self.app_config_service.get_config(source.id, AppConfigKind.DRAFT)
        config = self.app_config_service.prepare(account_id, config_values(draft))
        return self.create_with_config(account_id, source.name, source.icon, source.description, config)

    def delete(self, account_id: uuid.UUID, app_id: uuid.UUID) -> None:
        """The app and everything it owns; its WebApp token, conversations and API access go with it."""
        app = self.get_app(account_id, app_id)
        with self.db.auto_commit():
            # Bulk deletes run in the database; foreign keys would cascade them anyway.
            for model in (AppDatasetJoin, AppConfigVersion, AppConfig):
                self.db.session.execute(delete(model).where(model.app_id == app.id))
            self.db.session.delete(app)

    def list_apps(self, account_id: uuid.UUID, req: GetAppsWithPageReq) -> tuple[list[tuple[App, AppConfig]], Paginator]:
        """A page of the account's apps, newest first, each with the config it runs with: the
        published one while published, the draft otherwise."""
        stmt = select(App).where(App.account_id == account_id)
        if req.search_word:
            stmt = stmt.where(App.name.ilike(contains_pattern(req.search_word), escape="\\"))
        stmt = stmt.order_by(App.created_at.desc(), App.id.desc())
        apps, paginator = paginate(self.db.session, stmt, req)

        configs: dict[tuple[uuid.UUID, str], AppConfig] = {}
        if apps:
            for config in self.db.session.scalars(select(AppConfig).where(AppConfig.app_id.in_([app.id for app in apps]))):
                configs[(config.app_id, config.kind)] = config
        items = []
        for app in apps:
            shown = configs.get((app.id, AppConfigKind.PUBLISHED)) if app.status == AppStatus.PUBLISHED else None
            items.append((app, shown or configs[(app.id, AppConfigKind.DRAFT)]))
        return items, paginator
