"""The chat center's reminders (POST/GET/DELETE /api/reminders, the account's webhook): CRUD and
validation on both addresses, listing filters, firing by the background scheduler on both
profiles, exactly once under concurrent sweeps, and signed webhook deliveries with retries."""

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from config import Settings
from internal.aistack.chat.reminders.models import ReminderWebhook
from internal.aistack.chat.reminders.scheduler import SIGNATURE_HEADER
from internal.extension.database import db
from test.celery_worker import CeleryWorker
from test.fakes.webhook_receiver import WebhookReceiver

from .client import AIStackClient, assert_error, data_of
from .reminders import at, create, get, make_due, make_retry_due, prefix_caller, signature_of, sweep, wait_until

SECRET = "whsec-提醒-test"


@pytest.fixture
def stack(app, client) -> AIStackClient:
    """A caller on the main server's prefix: firing and delivery do not depend on the address."""
    return prefix_caller(app, client)


@pytest.fixture(scope="module")
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def beat(app, tmp_path_factory):
    """What fires reminders in production: Celery beat, run here by a worker of its own beside the
    session's (the embedded profile's timer starts with the app)."""
    if "test_celery_worker" not in app.extensions:
        yield
        return
    settings = app.extensions["injector"].get(Settings)
    worker = CeleryWorker(settings, tmp_path_factory.mktemp("reminder-beat") / "celery-beat.log", beat=True)
    worker.start(app.extensions["celery"])
    yield
    worker.stop()


def hook_path(name: str) -> str:
    """A path of the receiver for one test only (the receiver outlives a test and a profile)."""
    return f"/{name}-{uuid.uuid4().hex[:8]}"


# --- CRUD and validation -------------------------------------------------------------------


def test_a_reminder_is_created_read_listed_and_deleted_on_both_addresses(aistack):
    data = create(aistack, title="  周报  ", content="写周报", remind_at="2099-01-02T18:30:00+08:00", session_id="s-1")
    assert data["title"] == "周报" and data["content"] == "写周报"
    assert data["remind_at"] == "2099-01-02T10:30:00Z"  # stored and shown in UTC
    assert data["status"] == "pending" and data["fired_at"] is None and data["shown_at"] is None
    assert data["session_id"] == "s-1" and data["webhook_url"] is None
    assert data["created_at"].endswith("Z")
    assert data["delivery"] == {"status": "none", "attempts": 0, "last_error": "", "next_attempt_at": None, "delivered_at": None}

    assert get(aistack, data["reminder_id"]) == data
    listed = aistack.get("chat", "/api/reminders")
    assert data_of(listed) == [data] and listed.json["pagination"]["total_items"] == 1

    deleted = data_of(aistack.delete("chat", f"/api/reminders/{data['reminder_id']}"))
    assert deleted == {"reminder_id": data["reminder_id"], "deleted": True}
    assert_error(aistack.get("chat", f"/api/reminders/{data['reminder_id']}"), 404, "RESOURCE_NOT_FOUND")
    assert_error(aistack.delete("chat", f"/api/reminders/{data['reminder_id']}"), 404, "RESOURCE_NOT_FOUND")


def test_a_time_without_a_zone_is_utc(stack):
    assert create(stack, remind_at="2099-03-04T05:06:07")["remind_at"] == "2099-03-04T05:06:07Z"


INVALID = [
    ({"remind_at": "2000-01-01T00:00:00Z"}, "remind_at"),  # in the past
    ({"remind_at": "明天早上"}, "remind_at"),
    ({"remind_at": "2099-01-01"}, "remind_at"),  # a date without its time
    ({"remind_at": "2099-13-01T00:00:00Z"}, "remind_at"),
    ({"remind_at": 4102444800}, "remind_at"),  # numbers are not ISO 8601
    ({"remind_at": "9999-12-31T23:00:00-05:00"}, "remind_at"),  # beyond the last representable UTC time
    ({"remind_at": None}, "remind_at"),
    ({"title": "x" * 201}, "title"),
    ({"title": "   "}, "title"),
    ({"title": None}, "title"),
    ({"content": "长" * 2001}, "content"),
    ({"session_id": "s" * 256}, "session_id"),
    ({"webhook_url": "ftp://example.com/hook"}, "webhook_url"),
]


def test_invalid_reminders_are_refused_naming_the_field(stack):
    for fields, field in INVALID:
        body = {"title": "开会", "content": "", "remind_at": at(3600)} | fields
        body = {k: v for k, v in body.items() if v is not None}
        assert_error(stack.post("chat", "/api/reminders", json=body), 400, "INVALID_INPUT", field)
    assert data_of(stack.get("chat", "/api/reminders")) == []


def test_another_accounts_reminder_is_not_found(aistack, other_aistack):
    data = create(aistack)
    for method in ("get", "delete"):
        resp = getattr(other_aistack, method)("chat", f"/api/reminders/{data['reminder_id']}")
        assert_error(resp, 404, "RESOURCE_NOT_FOUND")
    assert data_of(other_aistack.get("chat", "/api/reminders")) == []
    assert get(aistack, data["reminder_id"])["status"] == "pending"
    assert_error(aistack.get("chat", "/api/reminders/not-an-id"), 404, "RESOURCE_NOT_FOUND")


def test_listing_sorts_pages_and_filters_by_status_session_and_remind_at(app, stack):
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    days = [create(stack, title=f"第{i}天", remind_at=(base + timedelta(days=i)).isoformat(), session_id=f"s{i % 2}") for i in range(3)]
    ids = [d["reminder_id"] for d in days]

    def listed(**query):
        resp = stack.get("chat", "/api/reminders", query_string=query)
        return [d["reminder_id"] for d in data_of(resp)], resp.json["pagination"]

    assert listed()[0] == ids  # soonest first by default
    assert listed(sort="remind_at", order="desc")[0] == ids[::-1]
    assert listed(sort="created_at", order="asc")[0] == ids
    page, pagination = listed(page=2, page_size=2)
    assert page == ids[2:] and pagination == {"page": 2, "page_size": 2, "total_items": 3, "total_pages": 2}
    assert listed(**{"filter[session_id]": "s0"})[0] == [ids[0], ids[2]]
    day_of = [(base + timedelta(days=i)).date().isoformat() for i in range(3)]
    assert listed(**{"filter[date_from]": day_of[1]})[0] == ids[1:]
    assert listed(**{"filter[date_from]": day_of[1], "filter[date_to]": day_of[1]})[0] == [ids[1]]

    make_due(app, [ids[0]])
    sweep(app)
    assert listed(**{"filter[status]": "fired"})[0] == [ids[0]]
    assert listed(**{"filter[status]": "pending"})[0] == ids[1:]
    assert_error(stack.get("chat", "/api/reminders", query_string={"filter[status]": "done"}), 400, "INVALID_INPUT", "filter[status]")
    assert_error(stack.get("chat", "/api/reminders", query_string={"sort": "title"}), 400, "INVALID_INPUT", "sort")


# --- the account's webhook -------------------------------------------------------------------


def test_the_webhook_is_set_read_and_removed_without_showing_its_secret(aistack):
    assert data_of(aistack.get("chat", "/api/reminders/webhook")) == {"url": None, "has_secret": False, "updated_at": None}
    data = data_of(aistack.put("chat", "/api/reminders/webhook", json={"url": "https://hooks.example.com/r", "secret": SECRET}))
    assert data["url"] == "https://hooks.example.com/r" and data["has_secret"] is True and data["updated_at"].endswith("Z")
    assert data_of(aistack.get("chat", "/api/reminders/webhook")) == data
    assert SECRET not in aistack.get("chat", "/api/reminders/webhook").get_data(as_text=True)

    replaced = data_of(aistack.put("chat", "/api/reminders/webhook", json={"url": "https://hooks.example.com/2"}))
    assert replaced["url"] == "https://hooks.example.com/2" and replaced["has_secret"] is False

    assert_error(aistack.put("chat", "/api/reminders/webhook", json={"url": "not a url"}), 400, "INVALID_INPUT", "url")
    assert_error(aistack.put("chat", "/api/reminders/webhook", json={}), 400, "INVALID_INPUT", "url")
    data_of(aistack.delete("chat", "/api/reminders/webhook"))
    assert data_of(aistack.get("chat", "/api/reminders/webhook"))["url"] is None


def test_first_webhook_puts_racing_each_other_all_succeed(app, stack):
    start = threading.Barrier(4)
    statuses = []

    def put(n):
        caller = AIStackClient(app.test_client(), stack.token, "prefix")
        start.wait()
        statuses.append(caller.put("chat", "/api/reminders/webhook", json={"url": f"https://hooks.example.com/{n}"}).status_code)

    threads = [threading.Thread(target=put, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 4
    assert data_of(stack.get("chat", "/api/reminders/webhook"))["url"].startswith("https://hooks.example.com/")


# --- firing and delivery ---------------------------------------------------------------------


def test_a_reminder_fires_at_its_time_from_the_scheduler_and_is_posted_signed(app, stack, beat, receiver):
    scheduled_path = hook_path("scheduled")
    data_of(stack.put("chat", "/api/reminders/webhook", json={"url": f"{receiver.url}{scheduled_path}", "secret": SECRET}))
    data = create(stack, title="喝水", remind_at=at(2), session_id="s-9")

    def fired():
        current = get(stack, data["reminder_id"])
        return current if current["delivery"]["status"] == "delivered" else None

    current = wait_until(fired, "the scheduler to fire the reminder and deliver its webhook", every=1.0)
    assert current["status"] == "fired" and current["fired_at"] >= data["remind_at"][:19]
    assert current["delivery"]["attempts"] == 1 and current["delivery"]["delivered_at"]

    [request] = [r for r in receiver.received(scheduled_path) if r.json()["reminder"]["reminder_id"] == data["reminder_id"]]
    assert request.headers["content-type"] == "application/json"
    assert request.headers[SIGNATURE_HEADER.lower()] == signature_of(SECRET, request.body)
    assert request.json() == {
        "event": "reminder.fired",
        "reminder": {
            key: current[key]
            for key in ("reminder_id", "title", "content", "remind_at", "status", "session_id", "created_at", "fired_at")
        },
    }


def test_concurrent_sweeps_fire_each_reminder_once_and_deliver_it_once(app, stack, receiver):
    many_path = hook_path("many")
    data_of(stack.put("chat", "/api/reminders/webhook", json={"url": f"{receiver.url}{many_path}", "secret": SECRET}))
    ids = [create(stack, title=f"提醒{i}")["reminder_id"] for i in range(20)]
    make_due(app, ids)

    start = threading.Barrier(6)
    fired_counts, errors = [], []

    def run():
        try:
            start.wait()
            fired_counts.append(sweep(app))
        except Exception as exc:  # surfaced below, with the thread's own error
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(fired_counts) <= len(ids)  # the app's own timer may have taken some

    def all_delivered():
        listed = data_of(stack.get("chat", "/api/reminders", query_string={"page_size": 50}))
        return listed if all(item["delivery"]["status"] == "delivered" for item in listed) else None

    listed = wait_until(all_delivered, "every webhook to be delivered", every=1.0)
    assert {item["reminder_id"] for item in listed} == set(ids)
    assert all(item["status"] == "fired" and item["delivery"]["attempts"] == 1 for item in listed)
    delivered = [r for r in receiver.received(many_path) if r.json()["reminder"]["reminder_id"] in set(ids)]
    assert sorted(r.json()["reminder"]["reminder_id"] for r in delivered) == sorted(ids)  # each exactly once
    assert all(r.headers[SIGNATURE_HEADER.lower()] == signature_of(SECRET, r.body) for r in delivered)


def test_a_failing_webhook_is_recorded_retried_and_never_unfires_the_reminder(app, stack, receiver):
    flaky_path = hook_path("flaky")
    fine_path = hook_path("fine")
    receiver.fail_first(flaky_path, 2)
    flaky = create(stack, title="重试", webhook_url=f"{receiver.url}{flaky_path}")
    # Refused by the outbound policy (a loopback address not allowed): failed at once, not retried.
    refused = create(stack, title="拒绝", webhook_url="http://127.0.0.2:9/hook")
    fine = create(stack, title="正常", webhook_url=f"{receiver.url}{fine_path}")
    ids = [flaky["reminder_id"], refused["reminder_id"], fine["reminder_id"]]
    make_due(app, ids)

    def attempted(reminder_id, attempts):
        def check():
            sweep(app)
            current = get(stack, reminder_id)
            return current if current["delivery"]["attempts"] >= attempts else None

        return wait_until(check, f"webhook attempt {attempts} of {reminder_id}")

    first = attempted(flaky["reminder_id"], 1)
    assert first["status"] == "fired"
    assert first["delivery"]["status"] == "pending" and first["delivery"]["last_error"].startswith("HTTP 503")
    assert first["delivery"]["next_attempt_at"] > first["fired_at"]  # after the backoff
    assert "signature" not in str(receiver.received(flaky_path)[0].headers).lower()  # no secret, no signature

    assert attempted(refused["reminder_id"], 1)["delivery"]["status"] == "failed"
    assert "127.0.0.2" in get(stack, refused["reminder_id"])["delivery"]["last_error"]
    assert attempted(fine["reminder_id"], 1)["delivery"]["status"] == "delivered"

    make_retry_due(app, [flaky["reminder_id"]])
    second = attempted(flaky["reminder_id"], 2)
    assert second["delivery"]["status"] == "pending" and second["status"] == "fired"
    make_retry_due(app, [flaky["reminder_id"]])
    third = attempted(flaky["reminder_id"], 3)
    assert third["delivery"]["status"] == "delivered" and third["delivery"]["delivered_at"]
    assert len(receiver.received(flaky_path)) == 3 and len(receiver.received(fine_path)) == 1


def test_a_webhook_failing_every_time_is_given_up_after_the_last_attempt(app, stack, receiver):
    down_path = hook_path("down")
    receiver.always_fail(down_path)
    data = create(stack, webhook_url=f"{receiver.url}{down_path}")
    make_due(app, [data["reminder_id"]])
    attempts = app.extensions["injector"].get(Settings).aistack_reminders.aistack_reminder_webhook_max_attempts

    def gave_up():
        make_retry_due(app, [data["reminder_id"]])
        sweep(app)
        current = get(stack, data["reminder_id"])
        return current if current["delivery"]["status"] == "failed" else None

    current = wait_until(gave_up, "the delivery to be given up")
    assert current["delivery"]["attempts"] == attempts and current["delivery"]["last_error"].startswith("HTTP 500")
    assert current["status"] == "fired" and current["delivery"]["next_attempt_at"] is None
    assert len(receiver.received(down_path)) == attempts


def test_a_deleted_pending_reminder_never_fires(app, stack, receiver):
    cancelled_path = hook_path("cancelled")
    data_of(stack.put("chat", "/api/reminders/webhook", json={"url": f"{receiver.url}{cancelled_path}"}))
    data = create(stack)
    data_of(stack.delete("chat", f"/api/reminders/{data['reminder_id']}"))
    make_due(app, [data["reminder_id"]])
    sweep(app)
    assert receiver.received(cancelled_path) == []


def test_a_webhook_secret_that_cannot_be_opened_fails_the_delivery_without_sending(app, stack, receiver):
    unreadable_path = hook_path("unreadable")
    data_of(stack.put("chat", "/api/reminders/webhook", json={"url": f"{receiver.url}{unreadable_path}", "secret": SECRET}))
    with app.app_context():  # as if DATA_SECRET_KEY had changed since the secret was sealed
        db.session.execute(
            update(ReminderWebhook).where(ReminderWebhook.account_id == stack.member.id).values(secret_sealed="v1.AAAA")
        )
        db.session.commit()
        db.session.remove()
    data = create(stack)
    make_due(app, [data["reminder_id"]])

    def failed():
        sweep(app)  # the app's own timer may be the one that gets to it
        delivery = get(stack, data["reminder_id"])["delivery"]
        return delivery if delivery["status"] != "pending" else None

    delivery = wait_until(failed, "the delivery to fail")
    assert delivery["status"] == "failed" and delivery["attempts"] == 1 and "Webhook" in delivery["last_error"]
    assert receiver.received(unreadable_path) == []
