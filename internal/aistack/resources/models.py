"""Resource management's tables: the deployment-wide quota of each service, and the request
figures every process writes from its in-memory aggregate (one row per window, route and
latency bucket, so that sums over any period are plain SQL)."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import UTCDateTime, db, utcnow


class ResourceQuota(db.Model):
    """What one service may use of the machine; deployment-wide, set by an administrator."""

    __tablename__ = "aistack_resources_quotas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service: Mapped[str] = mapped_column(String(64), unique=True)
    cpu: Mapped[float] = mapped_column(Float)
    memory: Mapped[int] = mapped_column(Integer)  # MB
    # Who set it last (an administrator's account); kept when that account goes.
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RequestStat(db.Model):
    """Requests of one route that fell in one latency bucket during one flush window of one
    process: their number, errors (5xx), client errors (4xx) and summed latency."""

    __tablename__ = "aistack_resources_request_stats"
    __table_args__ = (Index("ix_aistack_resources_request_stats_window_start", "window_start"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    system: Mapped[str] = mapped_column(String(32))  # an AI Stack system's name, or "platform"
    endpoint: Mapped[str] = mapped_column(String(255))  # the URL rule, not the path (bounded cardinality)
    method: Mapped[str] = mapped_column(String(10))
    bucket: Mapped[int] = mapped_column(Integer)  # index into request_stats.BOUNDS_MS
    count: Mapped[int] = mapped_column(Integer)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    client_errors: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[float] = mapped_column(Float)
