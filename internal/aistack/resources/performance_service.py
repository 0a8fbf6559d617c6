"""Request figures over a period (1h, 24h, 7d) per system and endpoint: count, error rate and
p50/p95/p99 latency, summed from what every process wrote (this one's latest included)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from injector import inject
from sqlalchemy import func, select

from internal.extension.database import SQLAlchemy, utcnow

from .models import RequestStat
from .recorder import RequestRecorder
from .request_stats import RouteFigures

PERIODS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}


@dataclass
class RouteKey:
    system: str
    endpoint: str
    method: str


@inject
@dataclass
class PerformanceService:
    db: SQLAlchemy
    recorder: RequestRecorder

    def figures(self, period: str, system: str | None = None) -> tuple[datetime, dict[tuple[str, str, str], RouteFigures]]:
        """(since, {(system, endpoint, method): figures}) of the period."""
        self.recorder.flush()
        self.db.session.commit()  # a new snapshot (SQLite) that sees the rows just written
        since = utcnow() - PERIODS[period]
        stmt = (
            select(
                RequestStat.system, RequestStat.endpoint, RequestStat.method, RequestStat.bucket,
                func.sum(RequestStat.count), func.sum(RequestStat.errors), func.sum(RequestStat.client_errors),
                func.sum(RequestStat.latency_ms),
            )
            .where(RequestStat.window_start >= since)
            .group_by(RequestStat.system, RequestStat.endpoint, RequestStat.method, RequestStat.bucket)
        )  # fmt: skip
        if system is not None:
            stmt = stmt.where(RequestStat.system == system)
        routes: dict[tuple[str, str, str], RouteFigures] = {}
        for name, endpoint, method, bucket, count, errors, client_errors, latency_ms in self.db.session.execute(stmt):
            routes.setdefault((name, endpoint, method), RouteFigures()).add(
                bucket, int(count), int(errors), int(client_errors), float(latency_ms)
            )
        return since, routes
