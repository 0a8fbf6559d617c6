"""Speed of an app's analysis page (llmops-api.md §14.1) at scale: one app with --messages
messages spread over the last 30 days (every channel, thousands of callers and conversations)
among other apps' messages, their day rollups built by the rebuild (`flask analysis rebuild`,
which gives the rows the chat service's per-message upserts add up to), then GET
/analysis/:app_id through the app:
- cold: the page's cache entry dropped before each call (the first call, the call after
  ANALYSIS_CACHE_TTL or after a new message);
- cached page.
Targets: cold p50 ≤ 200 ms, cached p50 ≤ 5 ms.

Rows are bulk-inserted (COPY on PostgreSQL, executemany on SQLite), then the tables analysed as
a running database would be. Timings are printed, never asserted. Run from the repository root:
    .venv/bin/python -m test.benchmark.analysis [--messages 1000000] [--noise 200000] [--services]
"""

import argparse
import csv
import io
import logging
import random
import secrets
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import Table, insert, select, text

from config import Profile, Settings
from config.settings import CelerySettings, DatabaseSettings, RedisSettings, SecuritySettings
from internal.extension.database import db
from internal.extension.kv_store import KeyValueStore
from internal.model import Conversation, Message
from internal.server import create_app
from internal.server.http import MIGRATIONS_DIR
from internal.service.analysis_rollup import roll_up_message
from internal.service.analysis_service import AnalysisService, page_key
from test.benchmark.agent_chat import REDIS_URL, bench_database
from test.benchmark.common import median, percentile, sign_in
from test.conftest import make_settings

DAYS = 30
CHANNELS = ("debugger", "web_app", "service_api", "wechat")
BATCH = 50_000


def bench_app(storage_dir: Path, database_url: str | None) -> Flask:
    if database_url is None:
        return create_app(make_settings(storage_dir))
    app = create_app(make_settings(
        storage_dir,
        llmops_profile=Profile.PRODUCTION,
        database=DatabaseSettings(_env_file=None, sqlalchemy_database_uri=database_url),
        redis=RedisSettings(_env_file=None, redis_url=REDIS_URL),
        celery=CelerySettings(_env_file=None, celery_broker_url=REDIS_URL),
        security=SecuritySettings(_env_file=None, jwt_secret_key=secrets.token_urlsafe(48), data_secret_key=secrets.token_urlsafe(48)),
    ))  # fmt: skip
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="heads")
    return app


def create_bench_app(client, member, name: str) -> uuid.UUID:
    body = {"name": name, "icon": "https://cdn.example.com/app.png", "description": "benchmark"}
    resp = client.post("/apps", json=body, headers=member.headers)
    assert resp.json["code"] == "success", resp.json
    return uuid.UUID(resp.json["data"]["id"])


class BulkWriter:
    """Inserts plain rows the fastest way each database takes them."""

    def __init__(self, app: Flask):
        self.app = app

    def insert(self, table: Table, rows: list[dict]) -> None:
        if not rows:
            return
        with self.app.app_context():
            engine = db.engine
            columns = list(rows[0])
            connection = engine.raw_connection()
            try:
                cursor = connection.cursor()
                if engine.dialect.name == "postgresql":
                    buffer = io.StringIO()
                    # Quoted: an empty string stays one; None (unquoted, empty) is NULL.
                    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC)
                    for row in rows:
                        writer.writerow([_pg_text(row[c]) for c in columns])
                    buffer.seek(0)
                    cursor.copy_expert(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buffer)
                else:
                    processors = [table.c[c].type._cached_bind_processor(engine.dialect) for c in columns]
                    values = [
                        tuple(p(row[c]) if p else row[c] for p, c in zip(processors, columns, strict=True)) for row in rows
                    ]
                    placeholders = ", ".join("?" for _ in columns)
                    cursor.executemany(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})", values)
                connection.commit()
            finally:
                connection.close()


def _pg_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "[]"
    return str(value)


def fill(writer: BulkWriter, app_id: uuid.UUID, messages: int, rng: random.Random) -> None:
    """`messages` messages of the app over the last DAYS days, in time order (as they arrive),
    from about one caller per 500 messages and one conversation per 50."""
    now = datetime.now(UTC)
    callers = [uuid.uuid4() for _ in range(max(1, messages // 500))]
    conversations = []
    for index in range(max(1, messages // 50)):
        caller = callers[index % len(callers)]
        conversations.append({
            "id": uuid.uuid4(), "app_id": app_id, "name": "bench", "summary": "", "is_pinned": False,
            "is_deleted": False, "invoke_from": CHANNELS[index % len(CHANNELS)], "created_by": caller,
            "updated_at": now, "created_at": now - timedelta(days=DAYS),
        })  # fmt: skip
    for start in range(0, len(conversations), BATCH):
        writer.insert(Conversation.__table__, conversations[start : start + BATCH])
    span = DAYS * 86400
    offsets = sorted((rng.random() * span for _ in range(messages)), reverse=True)
    for start in range(0, messages, BATCH):
        rows = []
        for offset in offsets[start : start + BATCH]:
            conversation = conversations[rng.randrange(len(conversations))]
            at = now - timedelta(seconds=offset)
            answer_tokens = rng.randrange(0, 400)
            rows.append({
                "id": uuid.uuid4(), "app_id": app_id, "conversation_id": conversation["id"],
                "invoke_from": conversation["invoke_from"], "created_by": conversation["created_by"],
                "query": "q", "image_urls": [], "answer": "a", "message_token_count": 50,
                "answer_token_count": answer_tokens, "total_token_count": 50 + answer_tokens,
                "total_price": round(rng.random() / 100, 7), "latency": 0.5 + rng.random() * 5,
                "status": "normal", "error": "", "is_deleted": False, "updated_at": at, "created_at": at,
            })  # fmt: skip
        writer.insert(Message.__table__, rows)


def analyse(app: Flask) -> None:
    """Statistics as autovacuum (PostgreSQL) or `ANALYZE` (SQLite) leave them on a running database."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                for table in ("message", "conversation", "app_daily_stat", "app_seen_id"):
                    connection.execute(text(f"VACUUM ANALYZE {table}"))
        else:
            with engine.begin() as connection:
                connection.execute(text("ANALYZE"))


def timed_calls(client, member, app_id: uuid.UUID, runs: int, before=None) -> list[float]:
    timings = []
    for _ in range(runs):
        if before is not None:
            before()
        started = time.perf_counter()
        resp = client.get(f"/analysis/{app_id}", headers=member.headers)
        timings.append((time.perf_counter() - started) * 1000)
        assert resp.json["code"] == "success", resp.json
    return timings


def store_cost(app: Flask, app_id: uuid.UUID, turns: int) -> tuple[list[float], list[float]]:
    """What rolling a message up adds to storing it: `turns` messages stored as the chat service
    stores them (one transaction), taken in turn with and without the rollup, each from a caller
    of 50 and a conversation of 500 (so both new and already-seen ids)."""
    zone = ZoneInfo(app.extensions["injector"].get(Settings).analysis.analysis_timezone)
    callers = [uuid.uuid4() for _ in range(50)]
    with app.app_context():
        conversation_id = db.session.scalar(select(Conversation.id).where(Conversation.app_id == app_id).limit(1))
        plain, rolled_up = [], []
        for index in range(2 * turns):
            message = {
                "id": uuid.uuid4(), "app_id": app_id, "conversation_id": conversation_id, "invoke_from": "web_app",
                "created_by": callers[index % len(callers)], "query": "q", "image_urls": [], "answer": "a",
                "answer_token_count": 10, "latency": 1.0, "total_price": 0.001, "created_at": datetime.now(UTC),
            }  # fmt: skip
            started = time.perf_counter()
            with db.engine.begin() as connection:
                connection.execute(insert(Message.__table__), [message])
                if index % 2:
                    roll_up_message(connection, message, zone)
            (rolled_up if index % 2 else plain).append((time.perf_counter() - started) * 1000)
    return plain, rolled_up


def run(messages: int, noise: int, runs: int, database_url: str | None) -> None:
    label = "PostgreSQL + Redis" if database_url else "SQLite + disk cache"
    with tempfile.TemporaryDirectory(prefix="llmops-bench-") as directory:
        app = bench_app(Path(directory), database_url)
        logging.getLogger().setLevel(logging.WARNING)
        client, member = sign_in(app)
        app_id = create_bench_app(client, member, "analysed")
        rng = random.Random(14)
        writer = BulkWriter(app)
        started = time.perf_counter()
        fill(writer, app_id, messages, rng)
        for index in range(4):
            fill(writer, create_bench_app(client, member, f"noise {index}"), noise // 4, rng)
        print(f"[{label}] inserted {messages:,} messages of the app and {noise:,} of 4 others in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        with app.app_context():
            app.extensions["injector"].get(AnalysisService).rebuild_rollups()
        print(f"[{label}] rebuilt the rollups of all 5 apps in {time.perf_counter() - started:.1f} s")
        analyse(app)

        kv_store = app.extensions["injector"].get(KeyValueStore)
        cold = timed_calls(client, member, app_id, runs, before=lambda: kv_store.delete(page_key(app_id)))
        cached = timed_calls(client, member, app_id, runs * 5)
        body = client.get(f"/analysis/{app_id}", headers=member.headers).json["data"]
        print(f"[{label}] total_messages (7 days) = {body['total_messages']['data']:,}, active_accounts = {body['active_accounts']['data']:,}")
        print(f"[{label}] cold (page not cached): p50 {median(cold):.1f} ms, p95 {percentile(cold, 0.95):.1f} ms (target p50 ≤ 200 ms)")
        print(f"[{label}] cached page: p50 {median(cached):.2f} ms, p95 {percentile(cached, 0.95):.2f} ms (target p50 ≤ 5 ms)")
        plain, rolled_up = store_cost(app, app_id, runs * 50)
        print(
            f"[{label}] storing a message: p50 {median(plain):.2f} ms alone, {median(rolled_up):.2f} ms with its rollup "
            f"(+{median(rolled_up) - median(plain):.2f} ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000, help="messages of the analysed app")
    parser.add_argument("--noise", type=int, default=200_000, help="messages of 4 other apps")
    parser.add_argument("--runs", type=int, default=20, help="cold calls (cached: 5 times as many)")
    parser.add_argument("--services", action="store_true", help="on PostgreSQL and Redis instead of SQLite")
    args = parser.parse_args()
    with bench_database(args.services) as database_url:
        run(args.messages, args.noise, args.runs, database_url)


if __name__ == "__main__":
    main()
