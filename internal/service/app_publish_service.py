"""Publishing an app (llmops-api.md §1.15-1.20): the published configuration, its version history and the
WebApp token that reaches the published app."""

import secrets
import string
import uuid
from dataclasses import dataclass

from injector import inject
from sqlalchemy import delete, func, select

from internal.exception import FailException, NotFoundException
from internal.extension.database import utcnow
from internal.model import App, AppConfig, AppConfigVersion
from internal.model.app import AppConfigKind, AppStatus
from pkg.paginator import PageReq, Paginator, paginate

from .app_base_service import AppBaseService
from .app_config_service import AppConfigService, config_values

WEB_APP_TOKEN_LENGTH = 16
_TOKEN_ALPHABET = string.ascii_letters + string.digits
NOT_PUBLISHED = "该应用未发布，请发布后重试"


@inject
@dataclass
class AppPublishService(AppBaseService):
    app_config_service: AppConfigService

    def publish(self, account_id: uuid.UUID, app_id: uuid.UUID) -> App:
        """Copy the (checked) draft into the published config and record it as the next version."""
        app = self._lock(self.get_app(account_id, app_id))
        draft = self.app_config_service.get_config(app.id, AppConfigKind.DRAFT)
        values = self.app_config_service.prepare(account_id, config_values(draft))
        published = self.app_config_service.get_config(app.id, AppConfigKind.PUBLISHED)
        latest = self.db.session.scalar(select(func.max(AppConfigVersion.version)).where(AppConfigVersion.app_id == app.id))
        with self.db.auto_commit():
            # The draft keeps what was published, bindings that had gone stale included.
            self.app_config_service.write(draft, values)
            if published is None:
                self.app_config_service.add_config(app.id, AppConfigKind.PUBLISHED, values)
            else:
                self.app_config_service.write(published, values)
            self.db.session.add(AppConfigVersion(app_id=app.id, version=(latest or 0) + 1, config=values))
            self.app_config_service.sync_dataset_joins(app.id)
            app.status = AppStatus.PUBLISHED
            app.published_at = utcnow()
            if not app.token:
                app.token = self._new_token()
        return app

    def cancel_publish(self, account_id: uuid.UUID, app_id: uuid.UUID) -> App:
        """Back to draft: the published config and the WebApp token are gone, the history stays."""
        app = self._lock(self.get_app(account_id, app_id))
        if app.status != AppStatus.PUBLISHED:
            raise FailException("该应用未发布，无法取消发布")
        with self.db.auto_commit():
            self.db.session.execute(
                delete(AppConfig).where(AppConfig.app_id == app.id, AppConfig.kind == AppConfigKind.PUBLISHED)
            )
            self.app_config_service.sync_dataset_joins(app.id)
            app.status = AppStatus.DRAFT
            app.token = None
        return app

    def get_histories(
        self, account_id: uuid.UUID, app_id: uuid.UUID, req: PageReq
    ) -> tuple[list[AppConfigVersion], Paginator]:
        app = self.get_app(account_id, app_id)
        stmt = (
            select(AppConfigVersion)
            .where(AppConfigVersion.app_id == app.id)
            .order_by(AppConfigVersion.version.desc())
        )
        return paginate(self.db.session, stmt, req)

    def fallback_to_draft(self, account_id: uuid.UUID, app_id: uuid.UUID, version_id: uuid.UUID) -> AppConfig:
        """Overwrite the draft with a published version, checked like an update; publishing is separate."""
        app = self.get_app(account_id, app_id)
        version = self.db.session.get(AppConfigVersion, version_id)
        if version is None or version.app_id != app.id:
            raise NotFoundException("该历史配置版本不存在")
        values = self.app_config_service.prepare(account_id, version.config)
        draft = self.app_config_service.get_config(app.id, AppConfigKind.DRAFT)
        with self.db.auto_commit():
            self.app_config_service.write(draft, values)
            app.draft_updated_at = utcnow()
            self.app_config_service.sync_dataset_joins(app.id)
        return draft

    def regenerate_web_app_token(self, account_id: uuid.UUID, app_id: uuid.UUID) -> str:
        """A new token for a published app; the old one stops working at once."""
        app = self._lock(self.get_app(account_id, app_id))
        if app.status != AppStatus.PUBLISHED:
            raise FailException(NOT_PUBLISHED)
        with self.db.auto_commit():
            app.token = self._new_token()
        return app.token

    def find_published_by_token(self, token: str) -> App | None:
        """The published app a WebApp token reaches, for the WebApp module; None for anything else."""
        if not token:
            return None
        return self.db.session.scalar(select(App).where(App.token == token, App.status == AppStatus.PUBLISHED))

    def _lock(self, app: App) -> App:
        """Serialises publishing operations on one app (PostgreSQL; SQLite writes one at a time)."""
        self.db.session.execute(select(App.id).where(App.id == app.id).with_for_update())
        return app

    def _new_token(self) -> str:
        while True:
            token = "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(WEB_APP_TOKEN_LENGTH))
            if self.db.session.scalar(select(App.id).where(App.token == token)) is None:
                return token
