"""An app's analysis (llmops-api.md §14.1): the last 7 days' figures against the 7 days before,
and daily trends, over every channel's messages.

The figures are read from the rollups each message adds to when it is stored
(analysis_rollup.py): the 14 days' rows and, for each window, its distinct callers and
conversations from the ids seen lately. The page is kept for ANALYSIS_CACHE_TTL while those days' message
counts stay as they are, so a new message shows at once."""

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from injector import inject
from sqlalchemy import and_, case, func, select

from config import Settings
from internal.exception import NotFoundException
from internal.extension.database import utcnow
from internal.extension.kv_store import KeyValueStore, KeyValueStoreUnavailable
from internal.model import App, AppDailyStat, AppSeenId
from internal.model.analysis import RECENT_DAYS, SeenKind

from .analysis_rollup import analysed_app_ids, rebuild_app_rollups
from .app_base_service import APP_NOT_FOUND, AppBaseService

# The window: this many days, today included, compared with as many days before them.
DAYS = 7

logger = logging.getLogger(__name__)


def window_days(now: datetime, zone: ZoneInfo, days: int = DAYS) -> list[date]:
    """The dates (in `zone`) of the previous and the current window, oldest first."""
    today = now.astimezone(zone).date()
    return [today - timedelta(days=k) for k in range(2 * days - 1, -1, -1)]


def page_key(app_id: uuid.UUID) -> str:
    return f"analysis:{app_id}"


@dataclass
class Totals:
    """What a day's (or a window's) figures are built from."""

    messages: int = 0
    callers: int = 0
    conversations: int = 0
    answer_tokens: int = 0
    answer_latency: float = 0.0
    cost: float = 0.0

    def figures(self) -> dict[str, float]:
        return {
            "total_messages": self.messages,
            "active_accounts": self.callers,
            "avg_of_conversation_messages": _ratio(self.messages, self.conversations),
            "token_output_rate": _ratio(self.answer_tokens, self.answer_latency),
            "cost_consumption": round(self.cost, 4),
        }


def _window(days: list[Totals], callers: int, conversations: int) -> Totals:
    """A window's totals: its days' sums, with the distinct callers and conversations of all its
    days (not the sum of each day's)."""
    return Totals(
        messages=sum(day.messages for day in days),
        callers=callers,
        conversations=conversations,
        answer_tokens=sum(day.answer_tokens for day in days),
        answer_latency=sum(day.answer_latency for day in days),
        cost=sum(day.cost for day in days),
    )


def _ratio(numerator: float, denominator: float, digits: int = 2) -> float:
    return round(numerator / denominator, digits) if denominator else 0.0


def _change(current: float, previous: float) -> float:
    """The period-over-period change as a fraction; 0 when there was nothing before."""
    return round((current - previous) / previous, 4) if previous else 0.0


# The figures that have a trend (token output rate has none in the contract).
TREND_FIGURES = ("total_messages", "active_accounts", "avg_of_conversation_messages", "cost_consumption")
# The contract's example names one figure differently; both names are sent (D54).
ALIASES = {"avg_of_conversation_messages": "avg_messages_pre_conversation"}


def render(previous: Totals, current: Totals, days: list[Totals], x_axis: list[int]) -> dict:
    """The page: each figure of the `current` window with its change against the `previous`
    one, and the current window's `days` as trends."""
    before = previous.figures()
    analysis: dict = {}
    for name, value in current.figures().items():
        change = _change(value, before[name])
        analysis[name] = {"data": value, "qoq": change, "pop": change}
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
        """The analysis page of one of the account's apps, from the cache while its days have no
        new message and ANALYSIS_CACHE_TTL has not passed."""
        self.get_app(account_id, app_id)
        zone = ZoneInfo(self.settings.analysis.analysis_timezone)
        days = window_days(utcnow(), zone)
        daily = self._days(app_id, days)
        # Messages are only ever added to a day: its count changes with each one.
        stamp = f"{days[-1]}|{','.join(str(day.messages) for day in daily)}"
        cached = self._cached_page(app_id, stamp)
        if cached is not None:
            return cached
        callers, conversations = self._distinct_per_window(app_id, days)
        previous = _window(daily[:DAYS], callers[0], conversations[0])
        current = _window(daily[DAYS:], callers[1], conversations[1])
        # Midnights are taken date by date, not 24 h apart, so a day with a DST change keeps its length.
        x_axis = [int(datetime.combine(day, time(), tzinfo=zone).timestamp()) for day in days[DAYS:]]
        analysis = render(previous, current, daily[DAYS:], x_axis)
        self._store_page(app_id, stamp, analysis)
        return analysis

    def rebuild_rollups(self, app_id: uuid.UUID | None = None) -> list[tuple[uuid.UUID, int]]:
        """Recomputes the rollups of one app (or of every app with messages) from their messages
        by day in ANALYSIS_TIMEZONE, one transaction per app; returns each app's message count."""
        zone = ZoneInfo(self.settings.analysis.analysis_timezone)
        if app_id is None:
            with self.db.engine.connect() as connection:
                app_ids = analysed_app_ids(connection)
        elif self.db.session.get(App, app_id) is None:
            raise NotFoundException(APP_NOT_FOUND)
        else:
            app_ids = [app_id]
        self.db.session.rollback()  # nothing of the session's held while apps are rebuilt
        rebuilt = []
        for one in app_ids:
            with self.db.engine.begin() as connection:
                rebuilt.append((one, rebuild_app_rollups(connection, one, zone)))
            self._forget_page(one)
        return rebuilt

    def _days(self, app_id: uuid.UUID, days: list[date]) -> list[Totals]:
        rows = self.db.session.execute(
            select(
                AppDailyStat.day, AppDailyStat.messages, AppDailyStat.callers, AppDailyStat.conversations,
                AppDailyStat.answer_tokens, AppDailyStat.answer_latency, AppDailyStat.cost,
            ).where(AppDailyStat.app_id == app_id, AppDailyStat.day >= days[0], AppDailyStat.day <= days[-1])
        )  # fmt: skip
        by_day = {day: Totals(*figures) for day, *figures in rows}
        return [by_day.get(day, Totals()) for day in days]

    def _distinct_per_window(self, app_id: uuid.UUID, days: list[date]) -> tuple[list[int], list[int]]:
        """The distinct callers and conversations of the previous and the current window, from
        the ids seen since the previous window began (one range of an index per kind)."""
        current_first, previous_first, previous_last = (days[DAYS].toordinal(), days[0].toordinal(), days[DAYS - 1].toordinal())
        last_day, bits = AppSeenId.last_day, AppSeenId.recent_days
        # An id last seen after the previous window was in it when one of the window's bits is set.
        seen_in_previous = case(
            (last_day <= previous_last, 1),
            (and_(
                last_day - previous_last < RECENT_DAYS,
                bits.bitwise_rshift(last_day - previous_last).bitwise_and((1 << DAYS) - 1) != 0,
            ), 1),
            else_=0,
        )  # fmt: skip

        def counts(kind: SeenKind):
            since = (AppSeenId.app_id == app_id, AppSeenId.kind == kind)
            return (
                select(func.coalesce(func.sum(seen_in_previous), 0)).where(*since, last_day >= previous_first).scalar_subquery(),
                # The last day seen is always one of the id's days.
                select(func.count()).where(*since, last_day >= current_first).scalar_subquery(),
            )

        row = self.db.session.execute(select(*counts(SeenKind.CALLER), *counts(SeenKind.CONVERSATION))).one()
        return [row[0], row[1]], [row[2], row[3]]

    # --- the page cache (unreachable: computed from the database) ---------------------------------

    def _cached_page(self, app_id: uuid.UUID, stamp: str) -> dict | None:
        if not self.settings.analysis.analysis_cache_ttl:
            return None
        try:
            raw = self.kv_store.get(page_key(app_id))
        except KeyValueStoreUnavailable:
            logger.warning("Analysis cache unreachable; reading app %s's figures from the database", app_id)
            return None
        if raw is None:
            return None
        entry = json.loads(raw)
        return entry["analysis"] if entry.get("stamp") == stamp else None

    def _store_page(self, app_id: uuid.UUID, stamp: str, analysis: dict) -> None:
        if not self.settings.analysis.analysis_cache_ttl:
            return
        entry = json.dumps({"stamp": stamp, "analysis": analysis})
        try:
            self.kv_store.set(page_key(app_id), entry, ttl=self.settings.analysis.analysis_cache_ttl)
        except KeyValueStoreUnavailable:
            logger.warning("Analysis cache unreachable; app %s's figures not kept", app_id)

    def _forget_page(self, app_id: uuid.UUID) -> None:
        try:
            self.kv_store.delete(page_key(app_id))
        except KeyValueStoreUnavailable:
            logger.warning("Analysis cache unreachable; app %s's page expires with ANALYSIS_CACHE_TTL", app_id)
