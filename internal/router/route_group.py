"""A group of routes for one audience, registered as a blueprint of its own, with the
authentication its handlers get unless they declare another."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask import Blueprint, Flask

from internal.handler.endpoint import apply_default_auth
from internal.middleware import AuthKind

Route = tuple[str, str, object]


@dataclass(frozen=True)
class RouteGroup:
    # The blueprint's name, which prefixes the endpoint names (`url_for("llmops.…")`).
    name: str
    default_auth: AuthKind
    routes: Sequence[Route]
    # Rewrites each response of the group on the way out (another protocol's error bodies).
    after_request: Callable | None = None

    def register_to(self, app: Flask) -> None:
        blueprint = Blueprint(self.name, __name__)
        for method, rule, view in self.routes:
            # Each view is declared with @endpoint; an undeclared one would be public.
            assert hasattr(view, "auth"), f"{rule} is not declared with @endpoint"
            apply_default_auth(view, self.default_auth)
            blueprint.add_url_rule(rule, view_func=view, methods=[method])
        if self.after_request is not None:
            blueprint.after_request(self.after_request)
        app.register_blueprint(blueprint)
