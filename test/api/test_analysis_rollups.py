"""llmops-api.md §14.1: an app's analysis is kept as day rollups written with each message, on
every channel; they match what `flask analysis rebuild` recomputes from the messages, also when
messages are stored at the same moment and after the analysis time zone changes."""

import threading
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event

from config.settings import AnalysisSettings
from internal.extension.database import db
from internal.model import AppDailyStat, AppSeenId
from internal.model.conversation import InvokeFrom
from internal.server import create_app as create_flask_app
from internal.service.analysis_rollup import roll_up_message
from test.api.apps import create_app, publish, web_app
from test.api.assertions import success_data
from test.api.chat import chat_app, debug_chat, read_events
from test.api.test_analysis import Messages, analysis_of
from test.api.test_openapi_chat import api_key_of, open_chat
from test.conftest import create_member, make_settings
from test.fakes.openai_server import ChatReply

SHANGHAI, NEW_YORK = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")


def rebuild(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["analysis", "rebuild", *args])
    assert result.exit_code == 0, result.output
    return result.output


def web_chat(client, member, token: str, query: str) -> list[dict]:
    return read_events(client.post(f"/web-apps/{token}/chat", json={"query": query}, headers=member.headers))


def test_messages_of_every_channel_roll_up_and_a_rebuild_recomputes_the_same_figures(
    app, client, member, other_member, llm
):
    app_id, marker = chat_app(client, member)
    publish(client, member, app_id)
    token = web_app(client, member, app_id)["token"]
    for _ in range(3):
        llm.script_chat(marker, ChatReply(text="An answer.", usage=(20, 4)))

    debug_chat(client, member, app_id, "From the debugger")
    web_chat(client, other_member, token, "From the web app")
    success_data(open_chat(client, api_key_of(client, member), app_id=app_id, query="From the open API", stream=False))

    rolled_up = analysis_of(client, member, app_id)
    assert rolled_up["total_messages"]["data"] == 3
    assert rolled_up["active_accounts"]["data"] == 3  # the owner, another account, an end user
    assert rolled_up["avg_of_conversation_messages"]["data"] == 1.0
    assert rolled_up["token_output_rate"]["data"] > 0
    assert rolled_up["total_messages_trend"]["y_axis"][-1] == 3

    assert rebuild(app, "--app-id", app_id).splitlines() == [f"{app_id}: 3 messages", "rebuilt 1 apps"]
    assert analysis_of(client, member, app_id) == rolled_up
    rebuild(app, "--app-id", app_id)  # idempotent
    assert analysis_of(client, member, app_id) == rolled_up


def test_messages_stored_at_the_same_moment_are_each_counted_once(app, client, member, llm):
    app_id, marker = chat_app(client, member)
    publish(client, member, app_id)
    token = web_app(client, member, app_id)["token"]
    callers = [create_member(app, client) for _ in range(3)]
    chats_each = 4
    # Every reply comes after the same pause, so the runs end, and store their messages, together.
    llm.script_chat(marker, *(ChatReply(text="Together.", usage=(10, 5), delay=0.3) for _ in range(3 * chats_each)))
    start = threading.Barrier(3 * chats_each)
    failures = []

    def chat(caller) -> None:
        own_client = app.test_client()
        start.wait()
        try:
            events = web_chat(own_client, caller, token, "At once")
            assert events[-1]["event"] == "agent_end", events[-1]
        except Exception as exc:  # noqa: BLE001 (asserted after the threads end)
            failures.append(exc)

    threads = [threading.Thread(target=chat, args=(caller,)) for caller in callers for _ in range(chats_each)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []

    data = analysis_of(client, member, app_id)
    assert data["total_messages"]["data"] == 12
    assert data["active_accounts"]["data"] == 3
    assert data["avg_of_conversation_messages"]["data"] == 1.0  # each chat began a conversation
    assert data["total_messages_trend"]["y_axis"][-1] == 12
    assert data["active_accounts_trend"]["y_axis"][-1] == 3
    with app.app_context():
        day = db.session.get(AppDailyStat, (uuid.UUID(app_id), datetime.now(SHANGHAI).date()))
        assert (day.messages, day.callers, day.conversations, day.answer_tokens) == (12, 3, 12, 60)
    rebuild(app, "--app-id", app_id)
    assert analysis_of(client, member, app_id) == data


def test_messages_written_in_any_order_roll_up_as_a_rebuild_counts_them(app, client, member):
    app_id = create_app(client, member)
    rows = Messages(app, app_id)
    callers = [uuid.uuid4() for _ in range(3)]
    today = datetime.combine(datetime.now(SHANGHAI).date(), time(12), tzinfo=SHANGHAI)
    # Days out of order (late-stored runs, imports), a caller coming back after weeks, one older
    # than the windows: 20 messages over 70 days.
    for index, days_ago in enumerate((0, 13, 7, 6, 69, 8, 1, 13, 20, 0, 3, 14, 2, 6, 40, 7, 12, 5, 9, 0)):
        caller = callers[index % 3]
        rows.add(today - timedelta(days=days_ago), f"c{index % 5}", caller, InvokeFrom.SERVICE_API, answer_token_count=index)

    rolled_up = analysis_of(client, member, app_id)
    rebuild(app, "--app-id", app_id)

    assert analysis_of(client, member, app_id) == rolled_up
    assert rolled_up["total_messages"]["data"] == 9  # 0 to 6 days ago
    assert rolled_up["active_accounts"]["data"] == 3
    assert rolled_up["active_accounts"]["qoq"] == 0.0  # 3 before, too
    assert rolled_up["avg_of_conversation_messages"]["data"] == 1.8  # 9 messages in 5 conversations


def test_assistant_messages_belong_to_no_app_and_a_deleted_app_leaves_no_rollups(app, client, member, llm):
    app_id = create_app(client, member)
    Messages(app, app_id).add(datetime.now(SHANGHAI), "a", uuid.uuid4(), InvokeFrom.WEB_APP)
    assert read_events(client.post("/assistant-agent/chat", json={"query": "Hi"}, headers=member.headers))[-1]["event"] == "agent_end"

    success_data(client.post(f"/apps/{app_id}/delete", headers=member.headers))

    with app.app_context():
        for model in (AppDailyStat, AppSeenId):
            assert db.session.query(model).filter(model.app_id == uuid.UUID(app_id)).count() == 0


def test_after_the_time_zone_changes_a_rebuild_moves_messages_to_their_days_in_the_new_zone(tmp_path):
    shanghai_app = create_flask_app(make_settings(tmp_path))
    client = shanghai_app.test_client()
    member = create_member(shanghai_app, client)
    app_id = create_app(client, member)
    # 00:30 in Shanghai three days ago: the afternoon of the day before in New York.
    shanghai_date = datetime.now(SHANGHAI).date() - timedelta(days=3)
    at = datetime.combine(shanghai_date, time(0, 30), tzinfo=SHANGHAI)
    Messages(shanghai_app, app_id).add(at, "a", uuid.uuid4(), InvokeFrom.SERVICE_API)
    # 20:30 in Shanghai: the morning of the same day in New York.
    Messages(shanghai_app, app_id).add(at + timedelta(hours=20), "a", uuid.uuid4(), InvokeFrom.SERVICE_API)

    new_york_app = create_flask_app(make_settings(
        tmp_path, analysis=AnalysisSettings(_env_file=None, analysis_timezone="America/New_York", analysis_cache_ttl=0)
    ))  # fmt: skip
    client = new_york_app.test_client()
    member.token = success_data(
        client.post("/auth/password-login", json={"email": member.email, "password": member.password})
    )["access_token"]

    def messages_by_date() -> dict:
        trend = analysis_of(client, member, app_id)["total_messages_trend"]
        dates = [datetime.fromtimestamp(start, NEW_YORK).date() for start in trend["x_axis"]]
        return {day: count for day, count in zip(dates, trend["y_axis"], strict=True) if count}

    # Until the rebuild, the rollups keep the days they were written with.
    assert messages_by_date() == {shanghai_date: 2}
    assert rebuild(new_york_app).splitlines()[-1] == "rebuilt 1 apps"
    assert messages_by_date() == {shanghai_date - timedelta(days=1): 1, shanghai_date: 1}


def test_the_rebuild_command_names_an_unknown_app(app):
    result = app.test_cli_runner().invoke(args=["analysis", "rebuild", "--app-id", str(uuid.uuid4())])
    assert result.exit_code != 0
    assert "该应用不存在" in result.output
    result = app.test_cli_runner().invoke(args=["analysis", "rebuild", "--app-id", "not-an-id"])
    assert result.exit_code != 0
    assert "not-an-id" in result.output


def test_a_message_rolls_up_in_one_statement_on_postgresql_and_two_on_sqlite(app, client, member):
    """What a message's rollup adds to storing it (a chat turn's run), and the figures it adds."""
    app_id = uuid.UUID(create_app(client, member))
    caller, conversation = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(SHANGHAI)
    statements = []
    with app.app_context():
        for at in (now, now, now - timedelta(days=1)):  # new ids, the same again, their day before
            with db.engine.begin() as connection:
                event.listen(connection, "before_cursor_execute", lambda *args: statements.append(args[2]))
                message = {"app_id": app_id, "created_by": caller, "conversation_id": conversation, "created_at": at,
                           "answer_token_count": 3, "latency": 0.5, "total_price": 0.25}  # fmt: skip
                roll_up_message(connection, message, SHANGHAI)
            assert len(statements) == (1 if connection.dialect.name == "postgresql" else 2)
            statements.clear()
        today = db.session.get(AppDailyStat, (app_id, now.date()))
        yesterday = db.session.get(AppDailyStat, (app_id, now.date() - timedelta(days=1)))
        assert (today.messages, today.callers, today.conversations, today.answer_tokens, today.cost) == (2, 1, 1, 6, 0.5)
        assert (yesterday.messages, yesterday.callers, yesterday.conversations, yesterday.answer_latency) == (1, 1, 1, 0.5)
        seen = db.session.query(AppSeenId).filter(AppSeenId.app_id == app_id).all()
        last_day = now.date().toordinal()
        assert {(row.kind, row.seen_id, row.last_day, row.recent_days) for row in seen} == {
            ("caller", caller, last_day, 0b11), ("conversation", conversation, last_day, 0b11)
        }
