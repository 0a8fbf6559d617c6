"""When the A-share market trades: Monday to Friday except the Shanghai exchange's holidays (as
far as exchange_calendars records them: the years after its last are taken as weekdays only), in
09:30-11:30 and 13:00-15:00 Asia/Shanghai when trading hours are on; around the clock when off,
so that a trial works at any hour. Orders are day orders, as on the exchange: one that has not
filled by the close of the trading day it was placed for lapses."""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
SESSIONS = ((time(9, 30), time(11, 30)), (time(13, 0), time(15, 0)))
CLOSE = time(15, 0)
SESSION_MINUTES = 240
DAY_MINUTES = 24 * 60


def local(at: datetime) -> datetime:
    return at.astimezone(SHANGHAI)


def trade_date(at: datetime) -> date:
    """The market's calendar day of an instant (T+1 counts these)."""
    return local(at).date()


def is_trading_day(day: date) -> bool:
    return day.weekday() < 5 and day not in exchange_holidays()


@cache
def exchange_holidays() -> frozenset[date]:
    """The weekdays the Shanghai exchange is closed (XSHG: Spring Festival, National Day, ...),
    over the years exchange_calendars records; empty if it cannot be read."""
    try:
        import exchange_calendars  # ~0.4 s on first use: imported when a stock day is first asked for
        import pandas as pd

        calendar = exchange_calendars.get_calendar("XSHG", start="2000-01-04")
        weekdays = pd.bdate_range(calendar.first_session, calendar.last_session)
        return frozenset(weekdays.difference(calendar.sessions).date)
    except Exception:  # a calendar is a refinement: weekdays alone still trade
        log.exception("The XSHG holiday calendar could not be read; every weekday counts as a trading day")
        return frozenset()


def previous_trading_day(day: date) -> date:
    day -= timedelta(days=1)
    while not is_trading_day(day):
        day -= timedelta(days=1)
    return day


def next_trading_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_trading_day(day):
        day += timedelta(days=1)
    return day


def last_trading_day(day: date) -> date:
    """`day` itself when the market trades on it, else the trading day before."""
    return day if is_trading_day(day) else previous_trading_day(day)


def trading_days(start: date, end: date) -> list[date]:
    days, day = [], start
    while day <= end:
        if is_trading_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


@dataclass(frozen=True)
class TradingClock:
    trading_hours: bool

    @property
    def minutes_per_day(self) -> int:
        return SESSION_MINUTES if self.trading_hours else DAY_MINUTES

    def is_open(self, at: datetime) -> bool:
        if not self.trading_hours:
            return True
        moment = local(at)
        return is_trading_day(moment.date()) and any(opens <= moment.time() < closes for opens, closes in SESSIONS)

    def order_deadline(self, placed: datetime) -> datetime:
        """When an order placed at `placed` lapses unfilled: with trading hours, the close of the
        trading day it is for (placed after the close or on a day off, the next trading day's);
        around the clock, the end of its day in Shanghai."""
        moment = local(placed)
        if not self.trading_hours:
            return datetime.combine(moment.date() + timedelta(days=1), time(0), SHANGHAI)
        day = moment.date()
        if not is_trading_day(day) or moment.time() >= CLOSE:
            day = next_trading_day(day)
        return datetime.combine(day, CLOSE, SHANGHAI)

    def elapsed_minutes(self, at: datetime) -> int | None:
        """Minutes of the day's session gone by at `at` (0 at the open), capped at the session's
        length; None before the open."""
        moment = local(at)
        clock = moment.hour * 60 + moment.minute
        if not self.trading_hours:
            return clock
        morning, afternoon = 9 * 60 + 30, 13 * 60
        if clock < morning:
            return None
        if clock < 11 * 60 + 30:
            return clock - morning
        if clock < afternoon:
            return 120
        return min(SESSION_MINUTES, 120 + clock - afternoon)
