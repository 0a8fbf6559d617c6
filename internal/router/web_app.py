"""Routes of published web apps (llmops-api.md §15, §5.1): signed-in people chatting with an app
reached by its web app token; authenticated by the account's JWT (the token names the app)."""

from dataclasses import dataclass

from injector import inject

from internal.handler.web_app_handler import WebAppHandler
from internal.middleware import AuthKind

from .route_group import RouteGroup


@inject
@dataclass
class WebAppRoutes:
    web_app_handler: WebAppHandler

    def group(self) -> RouteGroup:
        return RouteGroup(
            "web_app",
            AuthKind.JWT,
            [
                ("GET", "/web-apps/<string:token>", self.web_app_handler.get_web_app),
                ("GET", "/web-apps/<string:token>/conversations", self.web_app_handler.get_conversations),
                ("POST", "/web-apps/<string:token>/chat", self.web_app_handler.chat),
                ("POST", "/web-apps/<string:token>/chat/<uuid:task_id>/stop", self.web_app_handler.stop_chat),
            ],
        )
