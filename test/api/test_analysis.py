"""llmops-api.md §14.1: an app's analysis page, from messages of every channel, by day in the
configured time zone, against the 7 days before."""

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from config import Settings
from config.settings import AnalysisSettings
from internal.extension.database import db
from internal.model import Conversation, Message
from internal.model.conversation import InvokeFrom, MessageStatus
from internal.server import create_app as create_flask_app
from internal.service.analysis_rollup import roll_up_message
from test.api.apps import create_app, publish
from test.api.assertions import assert_not_found, success_data
from test.api.chat import chat_app, debug_chat
from test.api.test_openapi_chat import api_key_of, open_chat
from test.conftest import create_member, make_settings
from test.fakes.openai_server import ChatReply

ZONE = ZoneInfo("Asia/Shanghai")  # ANALYSIS_TIMEZONE's default, which the test apps keep
METRICS = ("total_messages", "active_accounts", "avg_of_conversation_messages", "token_output_rate", "cost_consumption")
TRENDS = ("total_messages", "active_accounts", "avg_of_conversation_messages", "cost_consumption")


def day_start(days_ago: int) -> datetime:
    """Midnight in Shanghai `days_ago` days before today (there)."""
    today = datetime.now(ZONE).date()
    return datetime.combine(today - timedelta(days=days_ago), time(), tzinfo=ZONE)


def get_analysis(client, member, app_id):
    return client.get(f"/analysis/{app_id}", headers=member.headers)


def analysis_of(client, member, app_id) -> dict:
    return success_data(get_analysis(client, member, app_id))


class Messages:
    """Writes messages straight into the database, at chosen times (the past a test cannot wait
    for), each with its analysis rollup as the chat service stores a finished run's message."""

    def __init__(self, app, app_id: str):
        self.app, self.app_id = app, uuid.UUID(app_id)
        self.conversations: dict[str, uuid.UUID] = {}

    def add(self, at: datetime, conversation: str, caller: uuid.UUID, invoke_from: InvokeFrom, **fields) -> None:
        at = at.astimezone(UTC)  # SQLite keeps no offset: stored times are UTC, as the product writes them
        with self.app.app_context():
            if conversation not in self.conversations:
                row = Conversation(app_id=self.app_id, invoke_from=invoke_from, created_by=caller, created_at=at)
                db.session.add(row)
                db.session.commit()
                self.conversations[conversation] = row.id
            message = {
                "id": uuid.uuid4(), "app_id": self.app_id, "conversation_id": self.conversations[conversation],
                "invoke_from": invoke_from, "created_by": caller, "query": "q", "answer": "a", "created_at": at, **fields,
            }  # fmt: skip
            zone = ZoneInfo(self.app.extensions["injector"].get(Settings).analysis.analysis_timezone)
            with db.engine.begin() as connection:
                connection.execute(insert(Message.__table__), [message])
                roll_up_message(connection, message, zone)


def test_every_figure_over_the_last_7_days_against_the_7_before(app, client, member):
    app_id = create_app(client, member)
    other_app_id = create_app(client, member, name="另一个应用")
    account, end_user, wechat_user, gone_user = (uuid.uuid4() for _ in range(4))
    rows = Messages(app, app_id)
    # The current window: today (from its first instant), 2 and 6 days ago, over four channels.
    for _ in range(2):
        rows.add(day_start(0), "a", account, InvokeFrom.DEBUGGER, answer_token_count=10, latency=1.0, total_price=0.01)
    rows.add(day_start(2) + timedelta(hours=9), "b", end_user, InvokeFrom.SERVICE_API, answer_token_count=30, latency=2.0, total_price=0.02)
    # A failed run is a request (counted) that produced no tokens (its latency does not slow the rate).
    rows.add(day_start(2) + timedelta(hours=10), "c", wechat_user, InvokeFrom.WECHAT, latency=5.0, status=MessageStatus.ERROR, error="boom")
    rows.add(day_start(6) + timedelta(hours=23, minutes=59), "d", account, InvokeFrom.WEB_APP, answer_token_count=20, latency=1.0, total_price=0.03)
    # The 7 days before: a deleted message still counts (it was asked, and paid for).
    rows.add(day_start(7), "e", account, InvokeFrom.DEBUGGER, answer_token_count=10, latency=2.0, total_price=0.01)
    rows.add(day_start(13) + timedelta(hours=1), "e", account, InvokeFrom.DEBUGGER, answer_token_count=10, latency=2.0, total_price=0.01)
    rows.add(day_start(13) + timedelta(hours=2), "e", gone_user, InvokeFrom.DEBUGGER, total_price=0.02, is_deleted=True)
    # Outside both windows, and another app's message of today.
    rows.add(day_start(13) - timedelta(seconds=1), "f", account, InvokeFrom.DEBUGGER, answer_token_count=99, total_price=9.0)
    Messages(app, other_app_id).add(day_start(0), "x", account, InvokeFrom.DEBUGGER, answer_token_count=99, total_price=9.0)

    data = analysis_of(client, member, app_id)

    figures = {name: data[name]["data"] for name in METRICS}
    assert figures == {
        "total_messages": 5,
        "active_accounts": 3,
        "avg_of_conversation_messages": 1.25,  # 5 messages in 4 conversations
        "token_output_rate": 14.0,  # 70 answer tokens in 5 s of answering runs
        "cost_consumption": pytest.approx(0.07),
    }
    changes = {name: data[name]["qoq"] for name in METRICS}
    assert changes == {
        "total_messages": pytest.approx(0.6667),  # 3 before
        "active_accounts": 0.5,  # 2 before
        "avg_of_conversation_messages": pytest.approx(-0.5833),  # 3 messages in 1 conversation before
        "token_output_rate": 1.8,  # 20 tokens in 4 s before
        "cost_consumption": pytest.approx(0.75),  # 0.04 before
    }
    assert all(data[name]["pop"] == data[name]["qoq"] for name in METRICS)
    assert data["avg_messages_pre_conversation"] == data["avg_of_conversation_messages"]

    # Trends, oldest day first: 6 days ago, …, today.
    assert data["total_messages_trend"]["y_axis"] == [1, 0, 0, 0, 2, 0, 2]
    assert data["active_accounts_trend"]["y_axis"] == [1, 0, 0, 0, 2, 0, 1]
    assert data["avg_of_conversation_messages_trend"]["y_axis"] == [1.0, 0, 0, 0, 1.0, 0, 2.0]
    assert data["cost_consumption_trend"]["y_axis"] == pytest.approx([0.03, 0, 0, 0, 0.02, 0, 0.02])
    assert data["avg_messages_pre_conversation_trend"] == data["avg_of_conversation_messages_trend"]


def test_trends_are_the_last_7_days_starting_at_midnight_in_the_configured_zone(client, member):
    app_id = create_app(client, member)

    data = analysis_of(client, member, app_id)

    expected = [int(day_start(days_ago).timestamp()) for days_ago in range(6, -1, -1)]
    for name in TRENDS:
        assert data[f"{name}_trend"] == {"x_axis": expected, "y_axis": [0] * 7}
    assert data["avg_messages_pre_conversation_trend"] == data["avg_of_conversation_messages_trend"]
    # An app without messages: every figure and change is 0.
    for name in (*METRICS, "avg_messages_pre_conversation"):
        assert data[name] == {"data": 0, "qoq": 0, "pop": 0}


def test_chats_of_the_debugger_and_the_open_api_show_at_once_and_stay_after_the_debug_conversation_is_cleared(
    client, member, llm
):
    app_id, marker = chat_app(client, member)
    publish(client, member, app_id)
    assert analysis_of(client, member, app_id)["total_messages"]["data"] == 0  # now cached
    for _ in range(2):  # a scripted reply answers one model call
        llm.script_chat(marker, ChatReply(text="LLM is a large language model.", usage=(40, 8)))

    debug_chat(client, member, app_id, "What is an LLM?")
    resp = open_chat(client, api_key_of(client, member), app_id=app_id, query="What is an LLM?", stream=False)
    assert success_data(resp)["answer"] == "LLM is a large language model."

    data = analysis_of(client, member, app_id)
    assert data["total_messages"]["data"] == 2
    assert data["active_accounts"]["data"] == 2  # the account, and the open API's end user
    assert data["avg_of_conversation_messages"]["data"] == 1.0
    assert data["token_output_rate"]["data"] > 0
    assert data["total_messages_trend"]["y_axis"][-1] == 2

    success_data(client.post(f"/apps/{app_id}/conversations/delete-debug-conversation", headers=member.headers))
    assert analysis_of(client, member, app_id)["total_messages"]["data"] == 2


def test_a_new_message_shows_at_once_whichever_day_of_the_window_it_is_dated(app, client, member):
    app_id = create_app(client, member)
    rows = Messages(app, app_id)
    rows.add(day_start(3), "a", uuid.uuid4(), InvokeFrom.WEB_APP)
    rows.add(day_start(0), "b", uuid.uuid4(), InvokeFrom.SERVICE_API)
    assert analysis_of(client, member, app_id)["total_messages"]["data"] == 2  # now cached

    # Older than the app's latest message (a run that began before midnight and ended after it).
    rows.add(day_start(3), "a", uuid.uuid4(), InvokeFrom.WEB_APP)
    assert analysis_of(client, member, app_id)["total_messages"]["data"] == 3
    rows.add(datetime.now(UTC), "b", uuid.uuid4(), InvokeFrom.SERVICE_API)
    data = analysis_of(client, member, app_id)
    assert data["total_messages"]["data"] == 4
    assert data["total_messages_trend"]["y_axis"] == [0, 0, 0, 2, 0, 0, 2]
    assert data["active_accounts_trend"]["y_axis"] == [0, 0, 0, 2, 0, 0, 2]


def test_days_start_at_midnight_in_the_configured_zone_and_a_ttl_of_0_never_caches(tmp_path):
    zone = ZoneInfo("America/New_York")
    app = create_flask_app(make_settings(
        tmp_path, analysis=AnalysisSettings(_env_file=None, analysis_timezone="America/New_York", analysis_cache_ttl=0)
    ))  # fmt: skip
    client = app.test_client()
    member = create_member(app, client)
    app_id = create_app(client, member)
    today = datetime.now(zone).date()
    midnights = [datetime.combine(today - timedelta(days=k), time(), tzinfo=zone) for k in range(6, -1, -1)]

    assert analysis_of(client, member, app_id)["total_messages_trend"]["x_axis"] == [int(m.timestamp()) for m in midnights]
    # Without the page cache, a message dated in the past shows at once, on its New York day.
    Messages(app, app_id).add(midnights[0] - timedelta(seconds=1), "a", uuid.uuid4(), InvokeFrom.WEB_APP)
    Messages(app, app_id).add(midnights[0], "a", uuid.uuid4(), InvokeFrom.WEB_APP)
    data = analysis_of(client, member, app_id)
    assert data["total_messages"] == {"data": 1, "qoq": 0.0, "pop": 0.0}
    assert data["total_messages_trend"]["y_axis"] == [1, 0, 0, 0, 0, 0, 0]


def test_only_the_owner_sees_an_app_s_analysis(client, member, other_member):
    app_id = create_app(client, member)

    assert_not_found(get_analysis(client, other_member, app_id))
    assert_not_found(get_analysis(client, member, uuid.uuid4()))
    assert get_analysis(client, member, app_id).status_code == 200
