"""Keeps the analysis rollups (internal/model/analysis.py) in step with messages: each stored
message adds itself to its app's day in the transaction that stores it, and a rebuild
recomputes an app's rollups from its messages (after ANALYSIS_TIMEZONE changes, or messages
imported straight into the database).

Why write-time rollups: the page then reads 14 day rows and one index range of the ids seen
lately instead of every message of 14 days (≈ 470,000 at a million messages a month).
A message costs one statement on PostgreSQL, two on SQLite. First its caller's and its
conversation's rows are upserted (one INSERT of both): the message's day becomes the row's last
day (the bitmap shifted along) or sets its bit, and RETURNING names the rows the day was new for
(an upsert whose WHERE finds the day's bit already set writes and returns nothing); those, and
only those, add one to the day's distinct callers or conversations. Then the day row is upserted
by adding to what is there (INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n): on
PostgreSQL in the same statement, the ids' upsert a WITH whose RETURNING rows it counts; on
SQLite, whose WITH cannot write, in a second statement with the counts from the first's rows.
Each is atomic on SQLite and PostgreSQL and merging days into a bitmap gives the same row in any
order, so simultaneous messages are each counted once. A message is stored once, when its run
ends, with its final figures. Writers take the rows in one order (caller, conversation, day),
and a rebuild locks the two tables in that order."""

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger, Connection, Insert, Integer, String, Uuid, and_, bindparam, case, cast, delete, func, literal, or_,
    select, text, union, union_all,
)  # fmt: skip
from sqlalchemy.dialects import postgresql, sqlite

from internal.model import AppDailyStat, AppSeenId, Message
from internal.model.analysis import RECENT_DAYS, SeenKind

# In the order every writer takes them.
ROLLUP_TABLES = (AppSeenId.__table__, AppDailyStat.__table__)
# The bits of `recent_days`.
RECENT_MASK = (1 << RECENT_DAYS) - 1
# The figures of a day row that messages add to.
SUMMED = ("messages", "callers", "conversations", "answer_tokens", "answer_latency", "cost")
# Rows read and written per round trip by a rebuild.
BATCH = 10_000


@cache
def _upserts(dialect: str) -> tuple[Insert, Insert | None]:
    """The statements a message's rollup runs, built once per database kind: on SQLite the ids'
    upsert and then the day's; on PostgreSQL one statement doing both (and None)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    seen, stat = AppSeenId.__table__, AppDailyStat.__table__

    # Both ids in one statement, the caller first (the order every writer takes the rows). A
    # UNION ALL of two one-row SELECTs of bound parameters rather than a multi-row VALUES:
    # SQLAlchemy caches the statement's compiled form, which it never does for a multi-row VALUES.
    def seen_row(kind: SeenKind):
        return select(
            _uuid("app_id"), literal(kind.value, String), _uuid(f"{kind.value}_id"),
            bindparam("last_day", type_=Integer), literal(1, BigInteger),
        )  # fmt: skip

    new_ids = insert(seen).from_select(
        ["app_id", "kind", "seen_id", "last_day", "recent_days"],
        union_all(seen_row(SeenKind.CALLER), seen_row(SeenKind.CONVERSATION)),
    )
    last, bits, day = seen.c.last_day, seen.c.recent_days, new_ids.excluded.last_day
    # Cast in the SQL: PostgreSQL would take a bare 1 as a 32-bit integer (its shifts wrap at 32).
    one = cast(literal(1), BigInteger)
    later = day > last
    new_ids = new_ids.on_conflict_do_update(
        index_elements=["app_id", "kind", "seen_id"],
        set_={
            "last_day": case((later, day), else_=last),
            "recent_days": case(
                (day - last >= RECENT_DAYS, one),
                (later, bits.bitwise_lshift(day - last).bitwise_or(one).bitwise_and(cast(literal(RECENT_MASK), BigInteger))),
                else_=bits.bitwise_or(one.bitwise_lshift(last - day)),
            ),
        },
        # Nothing to write when the day is already in the bitmap (or too old for it).
        where=or_(later, and_(last - day < RECENT_DAYS, bits.bitwise_rshift(last - day).bitwise_and(one) == 0)),
    ).returning(seen.c.kind)  # the ids the day was new for: inserted, or their day added

    def day_stat(callers, conversations) -> Insert:
        """The day row's upsert: one message, and the callers and conversations new that day."""
        figures = {name: bindparam(name, type_=stat.c[name].type) for name in ("day", *SUMMED)}
        figures.update(callers=callers, conversations=conversations)
        values = select(_uuid("app_id"), *(figures[name] for name in ("day", *SUMMED)))
        added = insert(stat).from_select(["app_id", "day", *SUMMED], values)
        return added.on_conflict_do_update(
            index_elements=["app_id", "day"], set_={name: stat.c[name] + added.excluded[name] for name in SUMMED}
        )

    if dialect != "postgresql":  # counted from the ids' rows returned
        return new_ids, day_stat(bindparam("callers", type_=Integer), bindparam("conversations", type_=Integer))
    # The ids' upsert as a WITH whose rows the day's counts: they are written before the day's.
    new = new_ids.cte("new_ids")
    counts = [func.count().filter(new.c.kind == kind.value) for kind in (SeenKind.CALLER, SeenKind.CONVERSATION)]
    return day_stat(*counts).add_cte(new), None


def _uuid(name: str):
    # Cast in the SQL too: PostgreSQL takes a bare parameter selected in a UNION as text.
    return cast(bindparam(name, type_=Uuid), Uuid)


def roll_up_message(connection: Connection, message: Mapping, zone: ZoneInfo) -> None:
    """Adds a just-stored message (its column values) to its app's day in `zone`, in the
    caller's transaction. Messages of no app (the assistant's) are not analysed."""
    if message["app_id"] is None:
        return
    statement, day_stat = _upserts(connection.dialect.name)
    day = message["created_at"].astimezone(zone).date()
    tokens = message.get("answer_token_count") or 0
    figures = {
        "app_id": message["app_id"], "day": day, "last_day": day.toordinal(),
        "caller_id": message["created_by"], "conversation_id": message["conversation_id"],
        "messages": 1, "answer_tokens": tokens,
        # Only runs that answered count towards the token rate's seconds.
        "answer_latency": (message.get("latency") or 0.0) if tokens > 0 else 0.0,
        "cost": message.get("total_price") or 0.0,
    }  # fmt: skip
    if day_stat is None:  # one statement for both
        connection.execute(statement, figures)
        return
    new_kinds = connection.scalars(statement, figures).all()
    connection.execute(day_stat, {
        **figures,
        "callers": new_kinds.count(SeenKind.CALLER.value),
        "conversations": new_kinds.count(SeenKind.CONVERSATION.value),
    })  # fmt: skip


def merge_day(last_day: int, recent_days: int, day: int) -> tuple[int, int]:
    """The upsert's rule in Python: an id's (last day, bitmap) once also seen on `day`."""
    if day > last_day:
        recent_days = (recent_days << (day - last_day)) & RECENT_MASK if day - last_day < RECENT_DAYS else 0
        last_day = day
    if last_day - day < RECENT_DAYS:
        recent_days |= 1 << (last_day - day)
    return last_day, recent_days


@dataclass
class _Day:
    messages: int = 0
    answer_tokens: int = 0
    answer_latency: float = 0.0
    cost: float = 0.0
    callers: set[uuid.UUID] = field(default_factory=set)
    conversations: set[uuid.UUID] = field(default_factory=set)


def analysed_app_ids(connection: Connection) -> list[uuid.UUID]:
    """Apps with messages or rollups (a rebuild of every app goes through these)."""
    query = union(
        select(Message.app_id).where(Message.app_id.is_not(None)).distinct(), select(AppDailyStat.app_id).distinct()
    )
    return [row[0] for row in connection.execute(query)]


def rebuild_app_rollups(connection: Connection, app_id: uuid.UUID, zone: ZoneInfo) -> int:
    """Replaces one app's rollups with what its messages add up to by day in `zone`, in the
    caller's transaction (idempotent); returns the messages counted. Messages stored meanwhile
    wait for it (PostgreSQL: the tables' write lock; SQLite: the database's, taken by the first
    delete), so each is counted once, by the rebuild or after it."""
    if connection.dialect.name == "postgresql":
        names = ", ".join(table.name for table in ROLLUP_TABLES)
        connection.execute(text(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE"))
    for table in ROLLUP_TABLES:
        connection.execute(delete(table).where(table.c.app_id == app_id))
    days: dict[date, _Day] = {}
    seen: dict[tuple[SeenKind, uuid.UUID], tuple[int, int]] = {}
    counted = 0
    for created_at, caller, conversation, tokens, latency, price in _messages(connection, app_id):
        when = created_at.astimezone(zone).date()
        day = days.setdefault(when, _Day())
        day.messages += 1
        day.answer_tokens += tokens or 0
        day.answer_latency += (latency or 0.0) if tokens else 0.0
        day.cost += price or 0.0
        day.callers.add(caller)
        day.conversations.add(conversation)
        number = when.toordinal()
        for key in ((SeenKind.CALLER, caller), (SeenKind.CONVERSATION, conversation)):
            seen[key] = merge_day(*seen.get(key, (number, 0)), number)
        counted += 1
    _insert(connection, AppSeenId.__table__, (
        {"app_id": app_id, "kind": kind.value, "seen_id": seen_id, "last_day": last_day, "recent_days": recent_days}
        for (kind, seen_id), (last_day, recent_days) in seen.items()
    ))  # fmt: skip
    _insert(connection, AppDailyStat.__table__, (
        {
            "app_id": app_id, "day": when, "messages": day.messages, "callers": len(day.callers),
            "conversations": len(day.conversations), "answer_tokens": day.answer_tokens,
            "answer_latency": day.answer_latency, "cost": day.cost,
        }
        for when, day in days.items()
    ))  # fmt: skip
    return counted


def _messages(connection: Connection, app_id: uuid.UUID) -> Iterator[tuple]:
    query = select(
        Message.created_at, Message.created_by, Message.conversation_id, Message.answer_token_count,
        Message.latency, Message.total_price,
    ).where(Message.app_id == app_id)  # fmt: skip
    # Streamed (a server-side cursor on PostgreSQL): an app's messages need not fit in memory.
    yield from connection.execute(query.execution_options(yield_per=BATCH))


def _insert(connection: Connection, table, rows: Iterator[dict]) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            connection.execute(table.insert(), batch)
            batch = []
    if batch:
        connection.execute(table.insert(), batch)
