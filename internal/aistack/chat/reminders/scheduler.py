"""Firing due reminders and delivering their webhooks, run by the periodic `fire_due_reminders`
task (Celery beat in production, a timer in the embedded profile) in any number of processes.

Each reminder fires exactly once: a conditional UPDATE (`status = 'pending'`) claims it, and of
two sweeps racing for it only one sees its row change. A delivery is claimed the same way (its
`next_delivery_at` moved forward as a lease) before the POST, which runs outside any
transaction; a failed POST is retried with a doubling backoff and never un-fires the reminder.
"""

import hashlib
import hmac
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from injector import inject
from sqlalchemy import case, exists, or_, select, update

from config import Settings
from internal.extension.database import SQLAlchemy, utcnow
from pkg.guarded_http import GuardedHttpClient, OutboundRequestError, OutboundRequestRefused
from pkg.secret_box import SecretBoxError

from .models import DeliveryStatus, Reminder, ReminderStatus, ReminderWebhook
from .schemas import ReminderResp
from .webhook_service import ReminderWebhookService

logger = logging.getLogger(__name__)

EVENT = "reminder.fired"
SIGNATURE_HEADER = "X-AIStack-Signature"
# Reminders fired per statement; a sweep repeats until none is due.
FIRE_BATCH = 200
DELIVERY_BATCH = 100
# How long a claimed delivery is held beyond the request's own timeout before another sweep may
# try again (the process that claimed it died mid-request).
DELIVERY_LEASE_MARGIN = 30.0
# The part of a receiver's answer kept as the error of a failed delivery.
MAX_ERROR_CHARS = 500
UNREADABLE_SECRET = "无法读取Webhook签名密钥，请重新设置Webhook"


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: `sha256=` and the hex HMAC-SHA256 of the exact body sent."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@inject
@dataclass
class ReminderScheduler:
    db: SQLAlchemy
    settings: Settings
    http: GuardedHttpClient
    webhooks: ReminderWebhookService

    def fire_due_reminders(self) -> int:
        """Fire every reminder whose time has come, then make the webhook deliveries that are due.
        Returns how many reminders this call fired."""
        fired = 0
        while True:
            claimed = self._fire_batch()
            fired += claimed
            if claimed < FIRE_BATCH:
                break
        self.deliver_due_webhooks()
        return fired

    def _fire_batch(self) -> int:
        now = utcnow()
        due = (
            select(Reminder.id)
            .where(Reminder.status == ReminderStatus.PENDING, Reminder.remind_at <= now)
            .order_by(Reminder.remind_at)
            .limit(FIRE_BATCH)
        )
        has_webhook = or_(
            Reminder.webhook_url.is_not(None), exists().where(ReminderWebhook.account_id == Reminder.account_id)
        )
        with self.db.auto_commit():
            claimed = self.db.session.execute(
                update(Reminder)
                # Re-checked on the row itself: a sweep that lost the race changes nothing.
                .where(Reminder.id.in_(due.scalar_subquery()), Reminder.status == ReminderStatus.PENDING)
                .values(
                    status=ReminderStatus.FIRED,
                    fired_at=now,
                    delivery_status=case((has_webhook, DeliveryStatus.PENDING), else_=DeliveryStatus.NONE),
                    next_delivery_at=now,
                    updated_at=now,
                )
                .returning(Reminder.id)
                .execution_options(synchronize_session=False)
            ).all()
        return len(claimed)

    def deliver_due_webhooks(self) -> None:
        while True:
            now = utcnow()
            candidates = self.db.session.scalars(
                select(Reminder.id)
                .where(Reminder.delivery_status == DeliveryStatus.PENDING, Reminder.next_delivery_at <= now)
                .order_by(Reminder.next_delivery_at)
                .limit(DELIVERY_BATCH)
            ).all()
            self.db.session.close()
            delivered = 0
            for reminder_id in candidates:
                if self._claim_delivery(reminder_id):
                    delivered += 1
                    try:
                        self._deliver(reminder_id)
                    except Exception:  # one receiver's trouble must not stop the others
                        self.db.session.rollback()
                        logger.exception("Delivering the webhook of reminder %s failed", reminder_id)
            if len(candidates) < DELIVERY_BATCH or not delivered:
                return

    def _claim_delivery(self, reminder_id: uuid.UUID) -> bool:
        now = utcnow()
        lease = timedelta(seconds=self.settings.outbound.outbound_timeout + DELIVERY_LEASE_MARGIN)
        with self.db.auto_commit():
            claimed = self.db.session.execute(
                update(Reminder)
                .where(
                    Reminder.id == reminder_id,
                    Reminder.delivery_status == DeliveryStatus.PENDING,
                    Reminder.next_delivery_at <= now,
                )
                .values(next_delivery_at=now + lease)
                .execution_options(synchronize_session=False)
            ).rowcount
        return claimed == 1

    def _deliver(self, reminder_id: uuid.UUID) -> None:
        reminder = self.db.session.get(Reminder, reminder_id)
        if reminder is None:  # deleted since it was claimed
            return
        attempts = reminder.delivery_attempts + 1
        try:
            target = self.webhooks.target(reminder.account_id, reminder.webhook_url)
        except SecretBoxError:  # sealed under another DATA_SECRET_KEY: no try can sign it
            self.db.session.close()
            self._record(reminder_id, attempts, DeliveryStatus.FAILED, next_delivery_at=None, last_error=UNREADABLE_SECRET)
            return
        payload = {
            "event": EVENT,
            "reminder": ReminderResp.of(reminder).model_dump(
                mode="json", exclude={"webhook_url", "shown_at", "delivery"}
            ),
        }
        self.db.session.close()  # no transaction held open across the request
        if target is None:  # the account's webhook was removed after the reminder fired
            self._record(reminder_id, status=DeliveryStatus.NONE, next_delivery_at=None)
            return

        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "X-AIStack-Event": EVENT, "X-AIStack-Delivery": str(reminder_id)}
        if target.secret:
            headers[SIGNATURE_HEADER] = sign(target.secret, body)
        error, permanent = "", False
        try:
            response = self.http.request("POST", target.url, headers=headers, data=body)
            if not 200 <= response.status_code < 300:
                error = f"HTTP {response.status_code}: {response.text[:MAX_ERROR_CHARS]}".rstrip(": ")
        except OutboundRequestRefused as exc:
            error, permanent = str(exc), True  # the address policy will refuse it every time
        except OutboundRequestError as exc:
            error = str(exc)

        now = utcnow()
        if not error:
            self._record(reminder_id, attempts, DeliveryStatus.DELIVERED, next_delivery_at=None, delivered_at=now, last_error="")
        elif permanent or attempts >= self.settings.aistack_reminders.aistack_reminder_webhook_max_attempts:
            self._record(reminder_id, attempts, DeliveryStatus.FAILED, next_delivery_at=None, last_error=error)
        else:
            backoff = self.settings.aistack_reminders.aistack_reminder_webhook_backoff * 2 ** (attempts - 1)
            retry_at = now + timedelta(seconds=backoff)
            self._record(reminder_id, attempts, DeliveryStatus.PENDING, next_delivery_at=retry_at, last_error=error)
            logger.info("Webhook of reminder %s failed (attempt %d), retrying at %s: %s", reminder_id, attempts, retry_at, error)

    def _record(self, reminder_id: uuid.UUID, attempts: int | None = None, status: str = DeliveryStatus.NONE, **values) -> None:
        if attempts is not None:
            values["delivery_attempts"] = attempts
        if "last_error" in values:
            values["delivery_last_error"] = values.pop("last_error")
        with self.db.auto_commit():
            self.db.session.execute(
                update(Reminder)
                .where(Reminder.id == reminder_id)
                .values(delivery_status=status, **values)
                .execution_options(synchronize_session=False)
            )
