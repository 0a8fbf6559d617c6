"""Builds the Flask application for a set of settings."""

import logging

from flask import Flask, redirect, request
from flask_cors import CORS
from flask_migrate import upgrade
from injector import Binder, CallableProvider, Injector, Module, singleton
from werkzeug.middleware.proxy_fix import ProxyFix

from config import PROJECT_ROOT, Settings
from internal.aistack.learning.retrain_service import SWEEP_RETRAIN_JOBS_TASK
from internal.aistack.rag.knowledge_graph.service import SWEEP_GRAPH_BUILDS_TASK
from internal.aistack.registry import OAUTH2_BROWSER_ENDPOINTS, register_aistack
from internal.aistack.resources.performance_service import PerformanceService
from internal.aistack.resources.prometheus import register_prometheus
from internal.aistack.resources.quotas import ResourceQuotas
from internal.aistack.resources.recorder import RequestRecorder
from internal.aistack.stock.market import MarketData, create_market_data
from internal.core.embeddings import Embeddings, create_embeddings
from internal.core.rerank import Reranker, create_reranker
from internal.core.builtin_apps import BuiltinAppCatalog
from internal.core.tools.builtin_tools import BuiltinToolCatalog
from internal.core.language_model.catalog import LanguageModelCatalog
from internal.core.language_model.factory import LanguageModelFactory
from internal.core.speech import SpeechToText, TextToSpeech, create_speech_to_text, create_text_to_speech
from internal.extension.run_queue import RunQueue, create_run_queue
from internal.extension.celery_app import init_celery
from internal.extension.database import SQLAlchemy, db
from internal.extension.kv_store import KeyValueStore, create_kv_store
from internal.extension.migrate import migrate
from internal.extension.task_queue import TaskQueue, create_task_queue
from internal.extension.outbound_http import create_guarded_http_client
from internal.extension.code_sandbox import create_code_sandbox
from internal.extension.rate_limit import RequestLimiter, RunSlots, create_request_limiter, create_run_slots
from internal.extension.storage import ObjectStorage, create_object_storage
from internal.extension.vector_store import VectorStore, create_vector_store
from internal.handler.endpoint import api_doc
from internal.middleware import AuthMiddleware, RateLimitMiddleware
from internal.router import Router
from internal.schema.upload_file import MAX_UPLOAD_SIZE
from internal.service.builtin_app_service import BuiltinAppService
from internal.service.task_names import (
    CHECK_STOCK_ORDERS,
    FIRE_DUE_REMINDERS,
    PUBLISH_DUE_CONTENT,
    PURGE_OAUTH2_GRANTS,
    SWEEP_AGENT_TASKS,
    SWEEP_INDEXING,
)
from pkg.guarded_http import GuardedHttpClient
from pkg.sandbox import CodeSandbox
from pkg.secret_box import SecretBox

from .commands import register_commands
from .errors import register_error_handlers

MIGRATIONS_DIR = str(PROJECT_ROOT / "migrations")


class InfrastructureModule(Module):
    """Binds the ports services depend on to the backends the settings choose."""

    def __init__(self, app: Flask, settings: Settings):
        self.app = app
        self.settings = settings

    def configure(self, binder: Binder) -> None:
        binder.bind(Flask, to=self.app)
        binder.bind(Settings, to=self.settings)
        binder.bind(SQLAlchemy, to=db)
        kv_store = create_kv_store(self.settings)
        binder.bind(KeyValueStore, to=kv_store)
        binder.bind(TaskQueue, to=create_task_queue(self.app, self.settings))
        binder.bind(RunQueue, to=create_run_queue(self.settings))
        binder.bind(BuiltinToolCatalog, to=BuiltinToolCatalog.load())
        binder.bind(LanguageModelCatalog, to=LanguageModelCatalog.load())
        binder.bind(BuiltinAppCatalog, to=BuiltinAppCatalog.load())
        binder.bind(GuardedHttpClient, to=create_guarded_http_client(self.settings))
        binder.bind(CodeSandbox, to=create_code_sandbox(self.settings))
        binder.bind(SecretBox, to=SecretBox(self.settings.secret_box_key))
        binder.bind(RequestLimiter, to=create_request_limiter(self.settings))
        binder.bind(RunSlots, to=create_run_slots(self.settings))
        binder.bind(ObjectStorage, to=create_object_storage(self.settings))
        binder.bind(Embeddings, to=create_embeddings(self.settings))
        # The chat reranker builds its model with the language-model factory, itself injected.
        binder.bind(
            Reranker,
            to=CallableProvider(lambda: create_reranker(self.settings.rerank, binder.injector.get(LanguageModelFactory))),
            scope=singleton,
        )
        binder.bind(SpeechToText, to=create_speech_to_text(self.settings))
        binder.bind(TextToSpeech, to=create_text_to_speech(self.settings))
        binder.bind(VectorStore, to=create_vector_store(self.settings, kv_store))
        binder.bind(MarketData, to=create_market_data(self.settings))


QUIET_LOGGERS = ("httpx", "httpx2")


def _engine_options(settings: Settings) -> dict:
    if settings.uses_sqlite:
        return {"connect_args": {"check_same_thread": False, "timeout": 10}}
    database = settings.database
    return {"pool_size": database.sqlalchemy_pool_size, "pool_recycle": database.sqlalchemy_pool_recycle, "pool_pre_ping": True}


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings()
    settings.check()
    settings.storage_dir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The HTTP clients log every request at INFO: a line per model call, tool call and embedding.
    for client_logger in QUIET_LOGGERS:
        logging.getLogger(client_logger).setLevel(logging.WARNING)

    app = Flask("llmops")
    # No SECRET_KEY: the API keeps no cookie session (callers send JWTs or API keys), so Flask
    # skips signing and reading one on every request.
    app.config.update(
        SQLALCHEMY_DATABASE_URI=settings.database_uri,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings),
        SQLALCHEMY_ECHO=settings.database.sqlalchemy_echo,
        # Room for a 15 MB upload plus its multipart framing; the exact limit is checked per file.
        MAX_CONTENT_LENGTH=MAX_UPLOAD_SIZE + 1024 * 1024,
    )
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    if settings.security.trusted_proxies:
        n = settings.security.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    periodic = {
        SWEEP_INDEXING: settings.celery.indexing_sweep_interval,
        FIRE_DUE_REMINDERS: settings.aistack_reminders.aistack_reminder_sweep_interval,
        CHECK_STOCK_ORDERS: settings.aistack_stock.stock_order_check_interval,
        PUBLISH_DUE_CONTENT: settings.aistack_content.aistack_content_publish_interval,
        SWEEP_AGENT_TASKS: settings.aistack_tasks.aistack_tasks_sweep_interval,
        SWEEP_GRAPH_BUILDS_TASK: settings.celery.indexing_sweep_interval,
        SWEEP_RETRAIN_JOBS_TASK: settings.celery.indexing_sweep_interval,
        PURGE_OAUTH2_GRANTS: settings.aistack.aistack_oauth2_purge_interval,
    }
    init_celery(app, settings, periodic)

    injector = Injector([InfrastructureModule(app, settings)])
    app.extensions["injector"] = injector
    # First of all hooks, so that the figures of every request include the others' time.
    injector.get(RequestRecorder).register(app)

    CORS(
        app,
        # OAuth2 public clients (single-page apps on any origin) call the token and revocation
        # endpoints from the browser: any origin, no cookies (they authenticate by the form).
        resources={OAUTH2_BROWSER_ENDPOINTS: {"origins": "*", "supports_credentials": False}, r"/*": {}},
        origins=settings.cors_origins,
        supports_credentials=True,
        allow_headers=["Authorization", "Content-Type"],
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        expose_headers=["Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"],
    )
    _answer_preflights(app, settings.cors_origins)
    register_error_handlers(app)
    app.before_request(injector.get(AuthMiddleware).before_request)
    rate_limit = injector.get(RateLimitMiddleware)
    app.before_request(rate_limit.before_request)
    app.after_request(rate_limit.after_request)
    injector.get(Router).register_to(app)
    register_aistack(app, injector, settings)
    # A template whose configuration breaks the rules of a draft update fails start-up.
    injector.get(BuiltinAppService).check_templates()
    injector.get(Reranker)  # a reranker setting that is missing or wrong fails the start
    api_doc.register(app)
    register_prometheus(app, settings, injector.get(PerformanceService))
    app.add_url_rule("/docs", "docs_index", lambda: redirect("/docs/swagger/"))
    register_commands(app)

    if settings.uses_sqlite:
        # The embedded profile keeps its schema current by itself; production runs `flask db upgrade`.
        with app.app_context():
            upgrade(directory=MIGRATIONS_DIR, revision="heads")
    # Read before any request: the first chat turn does not wait for them.
    injector.get(ResourceQuotas).load()
    # Embedded, a timer in this process; in production, Celery beat (see init_celery).
    task_queue = injector.get(TaskQueue)
    for task_name, interval in periodic.items():
        task_queue.run_periodically(task_name, interval)
    return app


def _answer_preflights(app: Flask, origins: list[str]) -> None:
    """A preflight from an allowed origin answers 204 on every path, unknown ones included (the
    CORS extension adds its headers): a browser whose preflight fails reports a network error
    instead of letting its page read the `not_found` envelope of the real request."""
    allowed = frozenset(origins)

    @app.before_request
    def answer_preflight():
        if request.method == "OPTIONS" and request.headers.get("Origin") in allowed:
            return app.response_class(status=204)
