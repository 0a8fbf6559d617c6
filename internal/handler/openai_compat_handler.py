"""The OpenAI-compatible surface for published apps, so OpenAI SDKs call an app unchanged:
`GET /v1/models` and `POST /v1/chat/completions` (`model` = the app's id), authenticated with
the open API's keys. Errors are OpenAI error bodies (see pkg.response.openai_compat)."""

from dataclasses import dataclass

from flask import jsonify
from injector import inject

from internal.middleware import AuthKind, current_account
from internal.schema.openai_compat import ChatCompletionReq, ModelListResp, ModelResp, OpenAIErrorResp
from internal.service.openai_compat_service import OpenAICompatService
from pkg.response.openai_compat import openai_sse_response

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

    @endpoint(
        auth=AuthKind.API_KEY,
        body=ChatCompletionReq,
        raw_response="application/json",
        error_model=OpenAIErrorResp,
        tags=_TAGS,
    )
    def chat_completions(self, body: ChatCompletionReq):
        """A chat completion by the published app `model`: a `chat.completion`, or with `stream`
        `chat.completion.chunk`s as server-sent events ending with `[DONE]`. `conversation_id` and
        `end_user_id` (extra fields) continue a conversation and come back in every response;
        without a conversation the earlier `messages` are the history."""
        if body.stream:
            return openai_sse_response(self.openai_compat_service.stream(current_account().id, body))
        return jsonify(self.openai_compat_service.complete(current_account().id, body))
