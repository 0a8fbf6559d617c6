"""Registers AI Stack on the application: one blueprint per system under `/aistack/<system>`
holding the system's routes and the shared credential routes (token, OAuth2), each system's
document, the gateway's hooks and the per-port dispatch."""

import re

from flask import Blueprint, Flask
from injector import Injector

from config import Settings

from .auth.oauth2.routes import OAuth2Handler, oauth2_routes
from .auth.token import TokenService, caller_route, token_route
from .chat.reminders.routes import ReminderRoutes
from .chat.routes import ChatCenterRoutes
from .content.routes import ContentRoutes
from .erp.routes import ErpRoutes
from .gateway.docs import register_docs
from .gateway.hooks import GatewayHooks
from .gateway.ports import PortDispatcher
from .learning.routes import LearningRoutes
from .rag.knowledge_graph.routes import KnowledgeGraphRoutes
from .rag.routes import RagRoutes
from .resources.routes import ResourcesRoutes
from .stock.routes import StockRoutes
from .task_agent.routes import TaskAgentRoutes
from .systems import SYSTEMS
from .trends.routes import TrendRoutes

# The OAuth2 endpoints browsers call cross-origin for public clients, on every system (the
# per-port addresses reach Flask under the same prefix).
OAUTH2_BROWSER_ENDPOINTS = re.compile(r"^/aistack/[a-z]+/api/oauth2/(token|revoke)$")

# Each system's route classes: injected with their handlers, their `routes()` list
# (method, rule under the system's prefix, view), e.g. ("POST", "/api/search/semantic", view).
SYSTEM_ROUTES: dict[str, list[type]] = {
    "rag": [RagRoutes, KnowledgeGraphRoutes],
    "erp": [ErpRoutes],
    "chat": [ChatCenterRoutes, ReminderRoutes],
    "stock": [StockRoutes],
    "content": [ContentRoutes],
    "tasks": [TaskAgentRoutes],
    "learning": [LearningRoutes],
    "resources": [ResourcesRoutes],
    "trends": [TrendRoutes],
}


def register_aistack(app: Flask, injector: Injector, settings: Settings) -> None:
    hooks = injector.get(GatewayHooks)
    app.before_request(hooks.before_request)
    app.after_request(hooks.after_request)
    token_service = injector.get(TokenService)
    oauth2_handler = injector.get(OAuth2Handler)
    for system in SYSTEMS:
        blueprint = Blueprint(f"aistack_{system.name}", __name__, url_prefix=system.prefix)
        routes = [
            token_route(system.name, token_service),
            caller_route(system.name),
            *oauth2_routes(system.name, oauth2_handler),
        ]
        for routes_class in SYSTEM_ROUTES.get(system.name, []):
            routes += injector.get(routes_class).routes()
        for method, rule, view in routes:
            assert getattr(view, "aistack_system", None) == system.name, f"{rule} is not declared for {system.name}"
            blueprint.add_url_rule(rule, view_func=view, methods=[method])
        app.register_blueprint(blueprint)
    register_docs(app)
    if settings.aistack.port_map:
        app.wsgi_app = PortDispatcher(app.wsgi_app, settings.aistack.port_map)
