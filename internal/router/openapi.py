"""Routes of the open API (llmops-api.md §9.6) and its OpenAI-compatible surface (beyond the
contract): developers' programs, authenticated by an API key. The keys themselves are managed
from the console (§9.1-9.5)."""

from dataclasses import dataclass

from injector import inject

from internal.handler.openai_compat_handler import OpenAICompatHandler
from internal.handler.openapi_chat_handler import OpenApiChatHandler
from internal.middleware import AuthKind
from pkg.response.openai_compat import as_openai_error

from .route_group import RouteGroup


@inject
@dataclass
class OpenApiRoutes:
    openapi_chat_handler: OpenApiChatHandler
    openai_compat_handler: OpenAICompatHandler

    def group(self) -> RouteGroup:
        # Not "openapi…": spectree leaves endpoints of that name out of the document.
        return RouteGroup(
            "open_api",
            AuthKind.API_KEY,
            [
                ("POST", "/openapi/chat", self.openapi_chat_handler.openapi_chat),
            ],
        )

    def openai_compatible_group(self) -> RouteGroup:
        # OpenAI SDKs read OpenAI error bodies, so these routes answer errors in that shape.
        return RouteGroup(
            "openai_compatible",
            AuthKind.API_KEY,
            [
                ("GET", "/v1/models", self.openai_compat_handler.list_models),
                ("POST", "/v1/chat/completions", self.openai_compat_handler.chat_completions),
            ],
            after_request=as_openai_error,
        )
