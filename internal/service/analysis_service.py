"""An app's analysis (llmops-api.md §14.1): the last 7 days' figures against the 7 days before,
and daily trends, computed with SQL aggregates over every channel's messages.

Two caches keep it fast on millions of messages: each settled past day's summary (its sums and
the ids of its callers and conversations, from which distinct counts over any days follow) is
kept for as long as it can be in a window, and the whole page for ANALYSIS_CACHE_TTL, until the
app has a newer message. Only today (and a day that just ended) is read from the database on
every computation."""

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from injector import inject
from sqlalchemy import Integer, String, case, cast, func, literal, select

from config import Settings
from internal.extension.database import utcnow
from internal.extension.kv_store import KeyValueStore, KeyValueStoreUnavailable
from internal.model import Message

from .app_base_service import AppBaseService

# The window: this many days, today included, compared with as many days before them.
DAYS = 7
# A run's message is written when the run ends, dated when it started: a day is settled (its
# summary final) once it ended longer ago than any run may last.
SETTLE_AFTER = timedelta(hours=1)
# A day's summary is of use while the day is in one of the two windows.
DAY_SUMMARY_TTL = int(timedelta(days=2 * DAYS + 1).total_seconds())

logger = logging.getLogger(__name__)


def day_starts(now: datetime, zone: ZoneInfo, days: int = DAYS) -> list[datetime]:
    """The midnights (in `zone`) that split the previous and current windows into days: 2 × `days`
    day starts, oldest first, then tomorrow's start, which ends today."""
    today = now.astimezone(zone).date()
    # Midnights are taken date by date, not 24 h apart, so a day with a DST change keeps its length.
    return [datetime.combine(today - timedelta(days=k), time(), tzinfo=zone) for k in range(2 * days - 1, -2, -1)]


def page_key(app_id: uuid.UUID) -> str:
    return f"analysis:{app_id}"


def day_key(app_id: uuid.UUID, zone_name: str, day_start: datetime) -> str:
    return f"analysis:{app_id}:day:{zone_name}:{int(day_start.timestamp())}"


def window_key(app_id: uuid.UUID, zone_name: str, window_start: datetime) -> str:
    return f"analysis:{app_id}:window:{zone_name}:{int(window_start.timestamp())}"


@dataclass
class DaySummary:
    """What one day's (or one window's) figures are built from. Callers and conversations are
    kept as ids: distinct counts over several days are the size of their union."""

    messages: int = 0
    answer_tokens: int = 0
    answer_latency: float = 0.0
    cost: float = 0.0
    callers: set[str] = field(default_factory=set)
    conversations: set[str] = field(default_factory=set)

    def add(self, other: "DaySummary") -> None:
        self.messages += other.messages
        self.answer_tokens += other.answer_tokens
        self.answer_latency += other.answer_latency
        self.cost += other.cost
        self.callers |= other.callers
        self.conversations |= other.conversations

    def dumps(self) -> str:
        return json.dumps({
            "messages": self.messages, "answer_tokens": self.answer_tokens, "answer_latency": self.answer_latency,
            "cost": self.cost, "callers": ",".join(self.callers), "conversations": ",".join(self.conversations),
        })  # fmt: skip

    @classmethod
    def loads(cls, raw: str) -> "DaySummary":
        values = json.loads(raw)
        return cls(
            values["messages"], values["answer_tokens"], values["answer_latency"], values["cost"],
            _ids(values["callers"]), _ids(values["conversations"]),
        )  # fmt: skip

    def figures(self) -> dict[str, float]:
        return {
            "total_messages": self.messages,
            "active_accounts": len(self.callers),
            "avg_of_conversation_messages": _ratio(self.messages, len(self.conversations)),
            "token_output_rate": _ratio(self.answer_tokens, self.answer_latency),
            "cost_consumption": round(self.cost, 4),
        }


def _ids(joined: str) -> set[str]:
    return set(joined.split(",")) if joined else set()


def _ratio(numerator: float, denominator: float, digits: int = 2) -> float:
    return round(numerator / denominator, digits) if denominator else 0.0


def _change(current: float, previous: float) -> float:
    """The period-over-period change as a fraction; 0 when there was nothing before."""
    return round((current - previous) / previous, 4) if previous else 0.0


# The figures that have a trend (token output rate has none in the contract).
TREND_FIGURES = ("total_messages", "active_accounts", "avg_of_conversation_messages", "cost_consumption")
# The contract's example names one figure differently; both names are sent (D54).
ALIASES = {"avg_of_conversation_messages": "avg_messages_pre_conversation"}


def render(before_figures: dict[str, float], days: list[DaySummary], starts: list[datetime]) -> dict:
    """The page: each figure over the current window's `days` with its change against the
    previous window's figures, and those days as trends."""
    current = DaySummary()
    for day in days:
        current.add(day)
    analysis: dict = {}
    for name, value in current.figures().items():
        change = _change(value, before_figures[name])
        analysis[name] = {"data": value, "qoq": change, "pop": change}
    x_axis = [int(start.timestamp()) for start in starts[DAYS:-1]]
    daily = [day.figures() for day in days]
    for name in TREND_FIGURES:
        analysis[f"{name}_trend"] = {"x_axis": x_axis, "y_axis": [figures[name] for figures in daily]}
    for name, alias in ALIASES.items():
        analysis[alias] = analysis[name]
        analysis[f"{alias}_trend"] = analysis[f"{name}_trend"]
    return analysis


@inject
@dataclass
class AnalysisService(AppBaseService):
    settings: Settings
    kv_store: KeyValueStore

    def get_app_analysis(self, account_id: uuid.UUID, app_id: uuid.UUID) -> dict:
        """The analysis page of one of the account's apps, from the cache while the app has no new
        message, the day has not changed and ANALYSIS_CACHE_TTL has not passed."""
        self.get_app(account_id, app_id)
        now = utcnow()
        zone_name = self.settings.analysis.analysis_timezone
        starts = day_starts(now, ZoneInfo(zone_name))
        # A new message moves the app's latest `created_at` (one index lookup), so it shows at once;
        # the day start moves the window at midnight.
        stamp = f"{self._latest_message_at(app_id)}|{zone_name}|{int(starts[-2].timestamp())}"
        cached = self._cached_page(app_id, stamp)
        if cached is not None:
            return cached
        days = self._day_summaries(app_id, starts, now, zone_name, range(DAYS, 2 * DAYS))
        analysis = render(self._previous_figures(app_id, starts, now, zone_name), days, starts)
        self._store_page(app_id, stamp, analysis)
        return analysis

    def _latest_message_at(self, app_id: uuid.UUID) -> str:
        latest = self.db.session.scalar(select(func.max(Message.created_at)).where(Message.app_id == app_id))
        return latest.isoformat() if latest else ""

    # --- day summaries -----------------------------------------------------------------------------

    def _previous_figures(self, app_id: uuid.UUID, starts: list[datetime], now: datetime, zone_name: str) -> dict:
        """The figures of the 7 days before the window: settled days only, so kept as they are."""
        key = window_key(app_id, zone_name, starts[0])
        raw = self._get(key)
        if raw is not None:
            return json.loads(raw)
        window = DaySummary()
        for day in self._day_summaries(app_id, starts, now, zone_name, range(DAYS)):
            window.add(day)
        figures = window.figures()
        self._set(key, json.dumps(figures), DAY_SUMMARY_TTL)
        return figures

    def _day_summaries(
        self, app_id: uuid.UUID, starts: list[datetime], now: datetime, zone_name: str, indexes: range
    ) -> list[DaySummary]:
        """The summaries of the days at `indexes`: settled days from their cache where kept, every
        other day (today, a day that just ended, a settled day not kept yet) in one pass over the
        database."""
        settled = {index: starts[index + 1] <= now - SETTLE_AFTER for index in indexes}
        keys = {index: day_key(app_id, zone_name, starts[index]) for index in indexes}
        days = {index: self._cached_day(keys[index]) for index in indexes if settled[index]}
        missing = [index for index in indexes if days.get(index) is None]
        if missing:
            read = self._read_days(app_id, starts, missing[0], missing[-1] + 1)
            for index in missing:
                days[index] = read[index]
                if settled[index]:
                    self._store_day(keys[index], read[index])
        return [days[index] for index in indexes]

    def _read_days(self, app_id: uuid.UUID, starts: list[datetime], first: int, end: int) -> dict[int, DaySummary]:
        """The summaries of days `first` to `end` − 1 from the app's messages (every channel):
        one GROUP BY over a range of the covering index, the day found in SQL by comparing
        `created_at` with the day starts computed here (portable across databases and zones)."""
        later_days = [(Message.created_at >= starts[index].astimezone(UTC), index) for index in range(end - 1, first, -1)]
        day = (case(*later_days, else_=first) if later_days else literal(first, Integer)).label("day")
        # Ids as text (no UUID objects to build for thousands of rows; a day's summary keeps them
        # comma-joined, much faster to read back than a JSON list); a Core
        # statement on the session's connection skips the ORM's row handling.
        rows = self.db.session.connection().execute(
            select(
                day,
                cast(Message.created_by, String),
                cast(Message.conversation_id, String),
                func.count(),
                func.sum(Message.answer_token_count),
                # Latency counts only for runs that answered, so failed runs do not slow the rate.
                func.sum(case((Message.answer_token_count > 0, Message.latency), else_=0.0)),
                func.sum(Message.total_price),
            )
            .where(
                Message.app_id == app_id,
                Message.created_at >= starts[first].astimezone(UTC),
                Message.created_at < starts[end].astimezone(UTC),
            )
            .group_by(*([day] if later_days else []), Message.created_by, Message.conversation_id)
        )
        days = {index: DaySummary() for index in range(first, end)}
        for index, caller, conversation, messages, tokens, latency, cost in rows:
            summary = days[index]
            summary.messages += messages
            summary.answer_tokens += int(tokens or 0)
            summary.answer_latency += float(latency or 0)
            summary.cost += float(cost or 0)
            summary.callers.add(caller)
            summary.conversations.add(conversation)
        return days

    # --- the caches (either unreachable: computed from the database) ------------------------------

    def _cached_day(self, key: str) -> DaySummary | None:
        raw = self._get(key)
        return DaySummary.loads(raw) if raw is not None else None

    def _store_day(self, key: str, summary: DaySummary) -> None:
        self._set(key, summary.dumps(), DAY_SUMMARY_TTL)

    def _cached_page(self, app_id: uuid.UUID, stamp: str) -> dict | None:
        raw = self._get(page_key(app_id))
        if raw is None:
            return None
        entry = json.loads(raw)
        return entry["analysis"] if entry.get("stamp") == stamp else None

    def _store_page(self, app_id: uuid.UUID, stamp: str, analysis: dict) -> None:
        entry = json.dumps({"stamp": stamp, "analysis": analysis})
        self._set(page_key(app_id), entry, self.settings.analysis.analysis_cache_ttl)

    # With ANALYSIS_CACHE_TTL=0 nothing is kept, day summaries included: every figure is read from
    # the database on every request (after importing past messages, say).

    def _get(self, key: str) -> str | None:
        if not self.settings.analysis.analysis_cache_ttl:
            return None
        try:
            return self.kv_store.get(key)
        except KeyValueStoreUnavailable:
            logger.warning("Analysis cache unreachable; reading %s from the database", key)
            return None

    def _set(self, key: str, value: str, ttl: int) -> None:
        if not self.settings.analysis.analysis_cache_ttl:
            return
        try:
            self.kv_store.set(key, value, ttl=ttl)
        except KeyValueStoreUnavailable:
            logger.warning("Analysis cache unreachable; %s not kept", key)
