"""The middleware behind resource management's performance figures: every request of the
platform and of AI Stack (system, URL rule, method, status, latency) is added to an in-memory
aggregate of this process — a lock and a few integer additions per request — which a daemon
thread writes to the database every AISTACK_RESOURCES_FLUSH_INTERVAL seconds (both profiles).
Latency is measured from the first before-request hook to the response's headers (a stream's
body is not included). A process that ends loses at most its last interval's figures."""

import logging
import os
import threading
import time
from datetime import timedelta

from flask import Flask, Response, g, request
from injector import inject, singleton
from sqlalchemy import delete, insert

from config import Settings
from internal.aistack.systems import PREFIX, SYSTEMS_BY_NAME
from internal.extension.database import SQLAlchemy, utcnow

from .models import RequestStat
from .request_stats import bucket_of

log = logging.getLogger(__name__)

PLATFORM = "platform"
UNMATCHED = "<unmatched>"
PRUNE_EVERY = 3600.0  # seconds between deletions of figures past their retention


@singleton
class RequestRecorder:
    @inject
    def __init__(self, app: Flask, settings: Settings, db: SQLAlchemy):
        self.app, self.db = app, db
        self.interval = settings.aistack_resources.aistack_resources_flush_interval
        self.retention = timedelta(days=settings.aistack_resources.aistack_resources_retention_days)
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one flush at a time (the thread's, or a reader's)
        # (system, endpoint, method, bucket) → [count, errors, client_errors, latency_ms]
        self._pending: dict[tuple, list] = {}
        self._window_start = utcnow()
        self._flusher_started = False
        self._stopped = threading.Event()
        # A forked worker (gunicorn) has no flush thread and none of its parent's figures.
        os.register_at_fork(after_in_child=self._forget_parent)
        self._last_prune = 0.0
        self._routes: dict[str, tuple[str, str]] = {}  # URL rule → (system, endpoint)

    def register(self, app: Flask) -> None:
        """Hooks the recorder in; call before any other hook so that it times them too."""
        app.before_request(self._started)
        app.after_request(self._finished)  # after-request hooks run last-registered first: this one last

    def _started(self) -> None:
        g.resources_started = time.perf_counter()

    def _finished(self, response: Response) -> Response:
        started = g.get("resources_started")
        if started is not None:
            rule = request.url_rule.rule if request.url_rule is not None else None
            self.record(rule, request.method, response.status_code, (time.perf_counter() - started) * 1000)
        return response

    def record(self, rule: str | None, method: str, status: int, latency_ms: float) -> None:
        system, endpoint = self._route(rule)
        key = (system, endpoint, method, bucket_of(latency_ms))
        with self._lock:
            figures = self._pending.get(key)
            if figures is None:
                if not self._pending:
                    self._window_start = utcnow()
                figures = self._pending[key] = [0, 0, 0, 0.0]
            figures[0] += 1
            figures[1] += status >= 500
            figures[2] += 400 <= status < 500
            figures[3] += latency_ms
        if not self._flusher_started:
            self._start_flusher()

    def _route(self, rule: str | None) -> tuple[str, str]:
        if rule is None:
            return PLATFORM, UNMATCHED
        route = self._routes.get(rule)
        if route is None:
            # AI Stack routes read as the document writes them: /api/... of their system.
            name, _, rest = rule[len(PREFIX) + 1 :].partition("/") if rule.startswith(PREFIX + "/") else ("", "", "")
            route = (name, "/" + rest) if name in SYSTEMS_BY_NAME else (PLATFORM, rule)
            self._routes[rule] = route
        return route

    def _forget_parent(self) -> None:
        self._lock, self._flush_lock = threading.Lock(), threading.Lock()
        self._pending, self._flusher_started = {}, False

    def _start_flusher(self) -> None:
        with self._lock:
            if self._flusher_started:
                return
            self._flusher_started = True
        threading.Thread(target=self._flush_forever, name="request-stats-flush", daemon=True).start()

    def stop(self) -> None:
        """Stops writing figures (the flush thread ends; nothing more at exit)."""
        self._stopped.set()

    def _flush_forever(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                self.flush()
            except Exception as exc:  # the figures of this window are lost; the next ones are not
                log.warning("writing request figures failed: %s", exc)

    def flush(self) -> None:
        """Writes this process's figures so far (readers call it to include the latest)."""
        with self._flush_lock:
            with self._lock:
                pending, self._pending = self._pending, {}
                window_start = self._window_start
            with self.app.app_context():
                if pending:
                    rows = [
                        {"window_start": window_start, "system": system, "endpoint": endpoint[:255], "method": method,
                         "bucket": bucket, "count": count, "errors": errors, "client_errors": client_errors,
                         "latency_ms": latency_ms}
                        for (system, endpoint, method, bucket), (count, errors, client_errors, latency_ms) in pending.items()
                    ]  # fmt: skip
                    with self.db.auto_commit():
                        self.db.session.execute(insert(RequestStat), rows)
                if time.monotonic() - self._last_prune > PRUNE_EVERY:
                    self._last_prune = time.monotonic()
                    with self.db.auto_commit():
                        self.db.session.execute(delete(RequestStat).where(RequestStat.window_start < utcnow() - self.retention))
                self.db.session.remove()
