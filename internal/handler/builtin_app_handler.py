"""The app square (llmops-api.md §10.1-10.3): template categories, templates and adding one to the space."""

import uuid
from dataclasses import dataclass

from flask import url_for
from injector import inject

from internal.middleware import AuthKind, current_account
from internal.schema.app import AppIdResp
from internal.schema.builtin_app import AddBuiltinAppReq, BuiltinAppCategoryResp, BuiltinAppResp
from internal.service.builtin_app_service import BuiltinAppService
from pkg.response import icon_response, success_json

from .endpoint import endpoint

_TAGS = ("builtin-apps",)


def builtin_app_icon_url(builtin_app_id: uuid.UUID) -> str:
    return url_for("llmops.get_builtin_app_icon", builtin_app_id=builtin_app_id, _external=True)


@inject
@dataclass
class BuiltinAppHandler:
    builtin_app_service: BuiltinAppService

    @endpoint(resp=list[BuiltinAppCategoryResp], tags=_TAGS)
    def get_builtin_app_categories(self):
        """Every category of the app square."""
        return success_json(BuiltinAppCategoryResp.render_many(self.builtin_app_service.get_categories()))

    @endpoint(resp=list[BuiltinAppResp], tags=_TAGS)
    def get_builtin_apps(self):
        """Every app template, at once."""
        apps = self.builtin_app_service.get_builtin_apps()
        return success_json(
            [BuiltinAppResp.render_template(app.entity, builtin_app_icon_url(app.entity.id)) for app in apps]
        )

    @endpoint(body=AddBuiltinAppReq, resp=AppIdResp, tags=_TAGS)
    def add_builtin_app_to_space(self, body: AddBuiltinAppReq):
        """Create an app of the account from a template."""
        app = self.builtin_app_service.add_to_space(
            current_account().id, body.builtin_app_id, builtin_app_icon_url(body.builtin_app_id)
        )
        return success_json({"id": str(app.id)})

    @endpoint(auth=AuthKind.NONE, raw_response="image/*", tags=_TAGS)
    def get_builtin_app_icon(self, builtin_app_id: uuid.UUID):
        """A template's icon; public, since <img> tags send no token."""
        icon = self.builtin_app_service.get_icon(builtin_app_id)
        return icon_response(icon.content, icon.mimetype)
