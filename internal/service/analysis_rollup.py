"""Keeps the analysis rollups (internal/model/analysis.py) in step with messages: each stored
message adds itself to its app's day in the transaction that stores it, and a rebuild
recomputes an app's rollups from its messages (after ANALYSIS_TIMEZONE changes, or messages
imported straight into the database).

Why write-time rollups: the page then reads 14 day rows and the callers' and conversations'
ids of those days instead of every message of 14 days (≈ 470,000 at a million messages a month).
Every write is an upsert that adds to what is there (INSERT … ON CONFLICT DO UPDATE SET n = n +
excluded.n, on SQLite and PostgreSQL), so concurrent writers never lose a count; a day's
distinct callers and conversations grow by one exactly when the (day, id) row is new, which
the row's unique key decides (ON CONFLICT DO NOTHING inserts it once). A message is stored
once, when its run ends, with its final figures, so it is counted once. Writers touch the three
tables in one order (callers, conversations, day), which a rebuild locks in the same order."""

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, delete, select, text, union
from sqlalchemy.dialects import postgresql, sqlite

from internal.model import AppDailyCaller, AppDailyConversation, AppDailyStat, Message

# In the order every writer takes them.
ROLLUP_TABLES = (AppDailyCaller.__table__, AppDailyConversation.__table__, AppDailyStat.__table__)
# The figures of a day row that messages add to.
SUMMED = ("messages", "callers", "conversations", "answer_tokens", "answer_latency", "cost")
# Rows read and written per round trip by a rebuild.
BATCH = 10_000


@cache
def _upserts(dialect: str):
    """The three statements a message's rollup runs, built once per database kind."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    new_caller = insert(AppDailyCaller.__table__).on_conflict_do_nothing()
    new_conversation = insert(AppDailyConversation.__table__).on_conflict_do_nothing()
    day = insert(AppDailyStat.__table__)
    day = day.on_conflict_do_update(
        index_elements=["app_id", "day"], set_={name: day.table.c[name] + day.excluded[name] for name in SUMMED}
    )
    return new_caller, new_conversation, day


def roll_up_message(connection: Connection, message: Mapping, zone: ZoneInfo) -> None:
    """Adds a just-stored message (its column values) to its app's day in `zone`, in the
    caller's transaction. Messages of no app (the assistant's) are not analysed."""
    if message["app_id"] is None:
        return
    new_caller, new_conversation, day = _upserts(connection.dialect.name)
    key = {"app_id": message["app_id"], "day": message["created_at"].astimezone(zone).date()}
    callers = connection.execute(new_caller, {**key, "caller_id": message["created_by"]}).rowcount
    conversations = connection.execute(new_conversation, {**key, "conversation_id": message["conversation_id"]}).rowcount
    tokens = message.get("answer_token_count") or 0
    connection.execute(day, {
        **key, "messages": 1, "callers": callers, "conversations": conversations, "answer_tokens": tokens,
        # Only runs that answered count towards the token rate's seconds.
        "answer_latency": (message.get("latency") or 0.0) if tokens > 0 else 0.0,
        "cost": message.get("total_price") or 0.0,
    })  # fmt: skip


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
    counted = 0
    for created_at, caller, conversation, tokens, latency, price in _messages(connection, app_id):
        day = days.setdefault(created_at.astimezone(zone).date(), _Day())
        day.messages += 1
        day.answer_tokens += tokens or 0
        day.answer_latency += (latency or 0.0) if tokens else 0.0
        day.cost += price or 0.0
        day.callers.add(caller)
        day.conversations.add(conversation)
        counted += 1
    _insert(connection, AppDailyCaller.__table__, (
        {"app_id": app_id, "day": when, "caller_id": caller} for when, day in days.items() for caller in day.callers
    ))  # fmt: skip
    _insert(connection, AppDailyConversation.__table__, (
        {"app_id": app_id, "day": when, "conversation_id": conversation}
        for when, day in days.items() for conversation in day.conversations
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
