"""Routes of published web apps (llmops-api.md §15, §5.1): signed-in people chatting with an app
reached by its web app token; authenticated by the account's JWT (the token names the app)."""

from dataclasses import dataclass

from injector import inject

from internal.middleware import AuthKind

from .route_group import RouteGroup


@inject
@dataclass
class WebAppRoutes:
    def group(self) -> RouteGroup:
        return RouteGroup("web_app", AuthKind.JWT, [])
