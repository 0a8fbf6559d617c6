"""An app's activity rolled up by day (the analysis page's source, llmops-api.md §14.1): written
with each message, so the page reads a few rows a day instead of the day's messages.

A day is a date in ANALYSIS_TIMEZONE, fixed when the message is written (`flask analysis rebuild`
recomputes every row after the zone changes). The per-day caller and conversation rows make
distinct counts over several days exact: a window's distinct callers are the distinct ids of its
days' rows, far fewer than its messages."""

import uuid
from datetime import date

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Integer, Numeric, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from internal.extension.database import db


class AppDailyStat(db.Model):
    """The sums of one app's messages of one day (every channel, deleted ones included)."""

    __tablename__ = "app_daily_stat"

    app_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("app.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    # Distinct callers and conversations of the day (rows of the two tables below).
    callers: Mapped[int] = mapped_column(Integer, default=0)
    conversations: Mapped[int] = mapped_column(Integer, default=0)
    answer_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    # Seconds of the runs that produced tokens (the token rate's denominator).
    answer_latency: Mapped[float] = mapped_column(Float, default=0.0)
    cost: Mapped[float] = mapped_column(Numeric(18, 7, asdecimal=False), default=0.0)


class AppDailyCaller(db.Model):
    """A caller (account or end user) who sent an app a message on a day."""

    __tablename__ = "app_daily_caller"

    app_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("app.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    caller_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)


class AppDailyConversation(db.Model):
    """A conversation of an app that had a message on a day."""

    __tablename__ = "app_daily_conversation"

    app_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("app.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    conversation_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
