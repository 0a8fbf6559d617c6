"""An app's analysis (llmops-api.md §14.1): the last 7 days' figures against the 7 days before,
and daily trends, computed with SQL aggregates over every channel's messages and cached briefly."""

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from injector import inject
from sqlalchemy import case, distinct, func, select

from config import Settings
from internal.extension.database import utcnow
from internal.extension.kv_store import KeyValueStore, KeyValueStoreUnavailable
from internal.model import Message

from .app_base_service import AppBaseService

# The window: this many days, today included, compared with as many days before them.
DAYS = 7

logger = logging.getLogger(__name__)


def day_starts(now: datetime, zone: ZoneInfo, days: int = DAYS) -> list[datetime]:
    """The midnights (in `zone`) that split the previous and current windows into days: 2 × `days`
    day starts, oldest first, then tomorrow's start, which ends today."""
    today = now.astimezone(zone).date()
    # Midnights are taken date by date, not 24 h apart, so a day with a DST change keeps its length.
    return [datetime.combine(today - timedelta(days=k), time(), tzinfo=zone) for k in range(2 * days - 1, -2, -1)]


@dataclass
class DayTotals:
    """The sums of one day (or one window): what the figures are built from."""

    messages: int = 0
    callers: int = 0
    conversations: int = 0
    answer_tokens: int = 0
    answer_latency: float = 0.0
    cost: float = 0.0


def _ratio(numerator: float, denominator: float, digits: int = 2) -> float:
    return round(numerator / denominator, digits) if denominator else 0.0


def _change(current: float, previous: float) -> float:
    """The period-over-period change as a fraction; 0 when there was nothing before."""
    return round((current - previous) / previous, 4) if previous else 0.0


def _figures(totals: DayTotals) -> dict[str, float]:
    return {
        "total_messages": totals.messages,
        "active_accounts": totals.callers,
        "avg_of_conversation_messages": _ratio(totals.messages, totals.conversations),
        "token_output_rate": _ratio(totals.answer_tokens, totals.answer_latency),
        "cost_consumption": round(totals.cost, 4),
    }


# The figures that have a trend (token output rate has none in the contract).
TREND_FIGURES = ("total_messages", "active_accounts", "avg_of_conversation_messages", "cost_consumption")
# The contract's example names one figure differently; both names are sent (D54).
ALIASES = {"avg_of_conversation_messages": "avg_messages_pre_conversation"}


@inject
@dataclass
class AnalysisService(AppBaseService):
    settings: Settings
    kv_store: KeyValueStore

    def get_app_analysis(self, account_id: uuid.UUID, app_id: uuid.UUID) -> dict:
        """The analysis page of one of the account's apps, from the cache while the app has no new
        message, the day has not changed and ANALYSIS_CACHE_TTL has not passed."""
        self.get_app(account_id, app_id)
        starts = day_starts(utcnow(), ZoneInfo(self.settings.analysis.analysis_timezone))
        # A new message moves the app's latest `created_at` (one index lookup), so it shows at once;
        # the day start makes the window move at midnight.
        stamp = f"{self._latest_message_at(app_id)}|{int(starts[-2].timestamp())}"
        cached = self._cached(app_id, stamp)
        if cached is not None:
            return cached
        analysis = self._compute(app_id, starts)
        self._store(app_id, stamp, analysis)
        return analysis

    # --- the SQL aggregates ----------------------------------------------------------------------

    def _latest_message_at(self, app_id: uuid.UUID) -> str:
        latest = self.db.session.scalar(select(func.max(Message.created_at)).where(Message.app_id == app_id))
        return latest.isoformat() if latest else ""

    def _compute(self, app_id: uuid.UUID, starts: list[datetime]) -> dict:
        days = self._day_totals(app_id, starts)
        previous, current = self._window_totals(app_id, starts, days)
        now_figures, before_figures = _figures(current), _figures(previous)
        analysis: dict = {
            name: {"data": value, "qoq": _change(value, before_figures[name]), "pop": _change(value, before_figures[name])}
            for name, value in now_figures.items()
        }
        x_axis = [int(start.timestamp()) for start in starts[DAYS:-1]]
        daily = [_figures(day) for day in days[DAYS:]]
        for name in TREND_FIGURES:
            analysis[f"{name}_trend"] = {"x_axis": x_axis, "y_axis": [figures[name] for figures in daily]}
        for name, alias in ALIASES.items():
            analysis[alias] = analysis[name]
            analysis[f"{alias}_trend"] = analysis[f"{name}_trend"]
        return analysis

    def _in_window(self, app_id: uuid.UUID, starts: list[datetime]):
        """Every channel's messages of the app in both windows: a range scan of one index."""
        return (
            Message.app_id == app_id,
            Message.created_at >= starts[0].astimezone(UTC),
            Message.created_at < starts[-1].astimezone(UTC),
        )

    def _day_totals(self, app_id: uuid.UUID, starts: list[datetime]) -> list[DayTotals]:
        """One row per day with messages: the day is found in SQL by comparing `created_at` with
        the day starts computed here (portable across databases and time zones)."""
        day = case(
            *[(Message.created_at >= starts[i].astimezone(UTC), i) for i in range(2 * DAYS - 1, 0, -1)], else_=0
        ).label("day")
        rows = self.db.session.execute(
            select(
                day,
                func.count(),
                func.count(distinct(Message.created_by)),
                func.count(distinct(Message.conversation_id)),
                func.sum(Message.answer_token_count),
                # Latency counts only for runs that answered, so failed runs do not slow the rate.
                func.sum(case((Message.answer_token_count > 0, Message.latency), else_=0.0)),
                func.sum(Message.total_price),
            )
            .where(*self._in_window(app_id, starts))
            .group_by(day)
        ).all()
        days = [DayTotals() for _ in range(2 * DAYS)]
        for index, messages, callers, conversations, tokens, latency, cost in rows:
            days[index] = DayTotals(messages, callers, conversations, int(tokens or 0), float(latency or 0), float(cost or 0))
        return days

    def _window_totals(
        self, app_id: uuid.UUID, starts: list[datetime], days: list[DayTotals]
    ) -> tuple[DayTotals, DayTotals]:
        """The previous and current windows: sums add up from the days; distinct callers and
        conversations do not (one caller active on two days counts once), so SQL counts them."""
        windows = [DayTotals(), DayTotals()]
        for index, totals in enumerate(days):
            window = windows[index // DAYS]
            window.messages += totals.messages
            window.answer_tokens += totals.answer_tokens
            window.answer_latency += totals.answer_latency
            window.cost += totals.cost
        if not any(window.messages for window in windows):
            return windows[0], windows[1]
        period = case((Message.created_at >= starts[DAYS].astimezone(UTC), 1), else_=0).label("period")
        rows = self.db.session.execute(
            select(period, func.count(distinct(Message.created_by)), func.count(distinct(Message.conversation_id)))
            .where(*self._in_window(app_id, starts))
            .group_by(period)
        ).all()
        for index, callers, conversations in rows:
            windows[index].callers, windows[index].conversations = callers, conversations
        return windows[0], windows[1]

    # --- the cache -------------------------------------------------------------------------------

    @staticmethod
    def _key(app_id: uuid.UUID) -> str:
        return f"analysis:{app_id}"

    def _cached(self, app_id: uuid.UUID, stamp: str) -> dict | None:
        if not self.settings.analysis.analysis_cache_ttl:
            return None
        try:
            raw = self.kv_store.get(self._key(app_id))
        except KeyValueStoreUnavailable:
            logger.warning("Analysis cache unreachable; computing app %s's figures", app_id)
            return None
        if raw is None:
            return None
        entry = json.loads(raw)
        return entry["analysis"] if entry.get("stamp") == stamp else None

    def _store(self, app_id: uuid.UUID, stamp: str, analysis: dict) -> None:
        ttl = self.settings.analysis.analysis_cache_ttl
        if not ttl:
            return
        try:
            self.kv_store.set(self._key(app_id), json.dumps({"stamp": stamp, "analysis": analysis}), ttl=ttl)
        except KeyValueStoreUnavailable:
            logger.warning("Analysis cache unreachable; app %s's figures not cached", app_id)
