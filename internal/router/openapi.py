"""Routes of the open API (llmops-api.md §9.6): developers' programs, authenticated by an API key.
The keys themselves are managed from the console (§9.1-9.5)."""

from dataclasses import dataclass

from injector import inject

from internal.handler.openapi_chat_handler import OpenApiChatHandler
from internal.middleware import AuthKind

from .route_group import RouteGroup


@inject
@dataclass
class OpenApiRoutes:
    openapi_chat_handler: OpenApiChatHandler

    def group(self) -> RouteGroup:
        # Not "openapi…": spectree leaves endpoints of that name out of the document.
        return RouteGroup(
            "open_api",
            AuthKind.API_KEY,
            [
                ("POST", "/openapi/chat", self.openapi_chat_handler.openapi_chat),
            ],
        )
