"""Helpers of the reminder tests: callers pinned to one address, times relative to now, and moving a
reminder's due times into the past the way the passing of time would."""

import hashlib
import hmac
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import update

from internal.aistack.chat.reminders.models import Reminder
from internal.extension.database import db, utcnow

from internal.aistack.chat.reminders.scheduler import ReminderScheduler
from test.conftest import create_member

from .client import AIStackClient, data_of, issue_token

TIMEOUT = 60.0


def at(seconds: float) -> str:
    """An ISO 8601 UTC time `seconds` from now."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def create(stack, **fields) -> dict:
    body = {"title": "开会", "content": "三楼会议室", "remind_at": at(3600)} | fields
    return data_of(stack.post("chat", "/api/reminders", json=body), 201)


def get(stack, reminder_id: str) -> dict:
    return data_of(stack.get("chat", f"/api/reminders/{reminder_id}"))


def _move(app: Flask, reminder_ids: list[str], **values) -> None:
    with app.app_context():
        try:
            db.session.execute(
                update(Reminder).where(Reminder.id.in_([uuid.UUID(i) for i in reminder_ids])).values(**values)
            )
            db.session.commit()
        finally:
            db.session.remove()


def make_due(app: Flask, reminder_ids: list[str]) -> None:
    """As if the reminders' time had come (a reminder cannot be created in the past)."""
    _move(app, reminder_ids, remind_at=utcnow() - timedelta(seconds=1))


def make_retry_due(app: Flask, reminder_ids: list[str]) -> None:
    """As if the backoff before the next webhook try had passed."""
    _move(app, reminder_ids, next_delivery_at=utcnow() - timedelta(seconds=1))


def wait_until(condition: Callable[[], Any], what: str, timeout: float = TIMEOUT, every: float = 0.25) -> Any:
    """Polls `condition`; `every` keeps a poll through the API under the caller's rate limit."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(every)


def signature_of(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def prefix_caller(app, client) -> AIStackClient:
    member = create_member(app, client, name="Reminders")
    return AIStackClient(client, issue_token(client, member.email, member.password), "prefix", member=member)


def sweep(app) -> int:
    """One run of the periodic task's work, in this process."""
    with app.app_context():
        return app.extensions["injector"].get(ReminderScheduler).fire_due_reminders()
