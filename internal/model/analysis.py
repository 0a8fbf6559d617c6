"""An app's activity rolled up by day (the analysis page's source, llmops-api.md §14.1): written
with each message, so the page reads a few rows a day instead of the day's messages.

A day is a date in ANALYSIS_TIMEZONE, fixed when the message is written (`flask analysis rebuild`
recomputes every row after the zone changes). The callers and conversations seen, each with the
days it was seen on lately, make distinct counts over a window exact with one range of an index
(no DISTINCT over a window's ids)."""

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, Integer, Numeric, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import db


class AppDailyStat(db.Model):
    """The sums of one app's messages of one day (every channel, deleted ones included)."""

    __tablename__ = "app_daily_stat"

    app_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("app.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    # Distinct callers and conversations of the day.
    callers: Mapped[int] = mapped_column(Integer, default=0)
    conversations: Mapped[int] = mapped_column(Integer, default=0)
    answer_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    # Seconds of the runs that produced tokens (the token rate's denominator).
    answer_latency: Mapped[float] = mapped_column(Float, default=0.0)
    cost: Mapped[float] = mapped_column(Numeric(18, 7, asdecimal=False), default=0.0)


class SeenKind(StrEnum):
    CALLER = "caller"  # the account or end user who sent a message
    CONVERSATION = "conversation"


# How many days before its last one an id's row remembers.
RECENT_DAYS = 62


class AppSeenId(db.Model):
    """A caller or a conversation seen in an app's messages, with the days it was seen on
    lately: the last one and a bitmap of the RECENT_DAYS before it. The page asks how many ids
    were seen in a window; ids whose last day is in the window were, older ones not, and for ids
    seen since, the bitmap answers. One row per id, not per day."""

    __tablename__ = "app_seen_id"
    __table_args__ = (Index("ix_app_seen_id_last_day", "app_id", "kind", "last_day", "recent_days"),)

    app_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("app.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    seen_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # The last day seen on, as a proleptic Gregorian ordinal (`date.toordinal()`) in ANALYSIS_TIMEZONE.
    last_day: Mapped[int] = mapped_column(Integer)
    # Bit k set: also seen on `last_day` − k (bit 0, the last day, is always set).
    recent_days: Mapped[int] = mapped_column(BigInteger)
