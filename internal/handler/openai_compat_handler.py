"""The OpenAI-compatible surface for published apps, so OpenAI SDKs call an app unchanged:
`GET /v1/models` and `POST /v1/chat/completions` (`model` = the app's id), authenticated with
the open API's keys. Errors are OpenAI error bodies (see pkg.response.openai_error)."""

from dataclasses import dataclass

from flask import jsonify
from injector import inject

from internal.middleware import AuthKind, current_account
from internal.schema.openai_compat import ModelListResp, ModelResp, OpenAIErrorResp
from internal.service.openai_compat_service import OpenAICompatService

from .endpoint import endpoint

_TAGS = ("OpenAI compatible",)
# Models are apps of this platform.
OWNED_BY = "llmops"


@inject
@dataclass
class OpenAICompatHandler:
    openai_compat_service: OpenAICompatService

    @endpoint(
        auth=AuthKind.API_KEY, resp=ModelListResp, enveloped=False, error_model=OpenAIErrorResp, tags=_TAGS
    )
    def list_models(self):
        """The key owner's published apps as OpenAI models: `id` is the app id to send as `model`."""
        apps = self.openai_compat_service.list_models(current_account().id)
        models = [
            ModelResp(id=str(app.id), created=int(app.published_at.timestamp()), owned_by=OWNED_BY, name=app.name)
            for app in apps
        ]
        return jsonify(ModelListResp(data=models).model_dump(mode="json"))
