"""The trend analysis system's records: each fetch of a hot list (a collection) with its topics,
kept so that history grows, and generated reports with their PDF and chart images."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import JSONType, UTCDateTime, db, utcnow


class TrendCollection(db.Model):
    """One fetch of one platform's hot list for an account; the newest one within the cache
    time answers instead of the platform."""

    __tablename__ = "aistack_trends_collection"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    topic_count: Mapped[int] = mapped_column(Integer, default=0)
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class TrendTopic(db.Model):
    __tablename__ = "aistack_trends_topic"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    collection_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("aistack_trends_collection.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    rank: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    heat: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    url: Mapped[str] = mapped_column(String(1024), default="")
    excerpt: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[dict] = mapped_column(JSONType, default=dict)  # local: count, previous_count, growth
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class TrendReport(db.Model):
    __tablename__ = "aistack_trends_report"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(100))
    date_range: Mapped[str] = mapped_column(String(32))
    summary: Mapped[dict] = mapped_column(JSONType, default=dict)
    markdown: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class TrendReportChart(db.Model):
    """A chart of a report as a PNG image."""

    __tablename__ = "aistack_trends_report_chart"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("account.id", ondelete="CASCADE"), index=True)
    report_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("aistack_trends_report.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(100))
    png: Mapped[bytes] = mapped_column(LargeBinary)
