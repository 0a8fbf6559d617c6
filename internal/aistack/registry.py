"""Registers AI Stack on the application: one blueprint per system under `/aistack/<system>`
holding the system's routes and the shared credential routes, each system's document, the
gateway's hooks and the per-port dispatch."""

from flask import Blueprint, Flask
from injector import Injector

from config import Settings

from .auth.token import TokenService, token_route
from .gateway.docs import register_docs
from .gateway.hooks import GatewayHooks
from .gateway.ports import PortDispatcher
from .rag.routes import RagRoutes
from .systems import SYSTEMS

# Each system's route classes: injected with their handlers, their `routes()` list
# (method, rule under the system's prefix, view), e.g. ("POST", "/api/search/semantic", view).
SYSTEM_ROUTES: dict[str, list[type]] = {
    "rag": [RagRoutes],
}


def register_aistack(app: Flask, injector: Injector, settings: Settings) -> None:
    hooks = injector.get(GatewayHooks)
    app.before_request(hooks.before_request)
    app.after_request(hooks.after_request)
    token_service = injector.get(TokenService)
    for system in SYSTEMS:
        blueprint = Blueprint(f"aistack_{system.name}", __name__, url_prefix=system.prefix)
        routes = [token_route(system.name, token_service)]
        for routes_class in SYSTEM_ROUTES.get(system.name, []):
            routes += injector.get(routes_class).routes()
        for method, rule, view in routes:
            assert getattr(view, "aistack_system", None) == system.name, f"{rule} is not declared for {system.name}"
            blueprint.add_url_rule(rule, view_func=view, methods=[method])
        app.register_blueprint(blueprint)
    register_docs(app)
    if settings.aistack.port_map:
        app.wsgi_app = PortDispatcher(app.wsgi_app, settings.aistack.port_map)
