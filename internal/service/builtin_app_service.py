"""The app square (llmops-api.md §10): template categories, templates, and turning a template into an app."""

import uuid
from dataclasses import dataclass

from injector import inject
from pydantic import ValidationError

from internal.core.builtin_apps import BuiltinApp, BuiltinAppCatalog, BuiltinAppCatalogError, BuiltinAppCategory
from internal.exception import CustomException, NotFoundException
from internal.model import App
from internal.schema.app_config import UpdateAppConfigReq
from pkg.catalog_files import Icon
from pkg.validation_message import describe_validation_error

from .app_config_service import AppConfigService
from .app_config_validator import AppConfigValidator
from .app_service import AppService

BUILTIN_APP_NOT_FOUND = "该内置应用模板不存在"


@inject
@dataclass
class BuiltinAppService:
    catalog: BuiltinAppCatalog
    validator: AppConfigValidator
    app_service: AppService
    app_config_service: AppConfigService

    def check_templates(self) -> None:
        """Every template's configuration passes the rules of a draft update; run at start-up."""
        for app in self.catalog.apps:
            try:
                # Our own data, unlike a client's request: an unknown key is a typo to report.
                config = UpdateAppConfigReq.model_validate(app.entity.config, extra="forbid")
                self.validator.validate(None, config)
            except ValidationError as exc:
                raise BuiltinAppCatalogError(f"{app.source}: config.{describe_validation_error(exc)}") from None
            except CustomException as exc:
                raise BuiltinAppCatalogError(f"{app.source}: config.{exc.message}") from None

    def get_categories(self) -> list[BuiltinAppCategory]:
        return self.catalog.categories

    def get_builtin_apps(self) -> list[BuiltinApp]:
        return self.catalog.apps

    def get_icon(self, builtin_app_id: uuid.UUID) -> Icon:
        return self._get(builtin_app_id).icon

    def add_to_space(self, account_id: uuid.UUID, builtin_app_id: uuid.UUID, icon_url: str) -> App:
        """A new draft app of the account configured like the template; `icon_url` is where the
        template's icon is served, since an app's icon is a URL."""
        template = self._get(builtin_app_id).entity
        config = self.app_config_service.prepare(account_id, template.config)
        return self.app_service.create_with_config(account_id, template.name, icon_url, template.description, config)

    def _get(self, builtin_app_id: uuid.UUID) -> BuiltinApp:
        app = self.catalog.get(builtin_app_id)
        if app is None:
            raise NotFoundException(BUILTIN_APP_NOT_FOUND)
        return app
