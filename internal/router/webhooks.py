"""Routes other platforms call back (the WeChat official account, llmops-api.md §17): no account
or key; each handler checks the sender's signature against the target app's secrets and reads
the raw body (XML) itself."""

from dataclasses import dataclass

from injector import inject

from internal.middleware import AuthKind

from .route_group import RouteGroup


@inject
@dataclass
class WebhookRoutes:
    def group(self) -> RouteGroup:
        return RouteGroup("webhooks", AuthKind.WEBHOOK, [])
