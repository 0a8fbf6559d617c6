"""The account's webhook for fired reminders: where they are POSTed and the secret that signs them."""

import uuid
from dataclasses import dataclass

from injector import inject
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from internal.service.base_service import BaseService
from pkg.secret_box import SecretBox

from .models import ReminderWebhook
from .schemas import PutWebhookReq


@dataclass(frozen=True)
class WebhookTarget:
    url: str
    secret: str  # empty: deliveries are not signed


@inject
@dataclass
class ReminderWebhookService(BaseService):
    secret_box: SecretBox

    def get(self, account_id: uuid.UUID) -> ReminderWebhook | None:
        return self.db.session.get(ReminderWebhook, account_id)

    def put(self, account_id: uuid.UUID, req: PutWebhookReq) -> ReminderWebhook:
        """Replaces the whole configuration: a request without `secret` leaves deliveries unsigned."""
        sealed = self.secret_box.encrypt(req.secret) if req.secret else ""
        try:
            with self.db.auto_commit():
                self._write(account_id, req.url, sealed)
        except IntegrityError:  # a concurrent first PUT inserted the row: this one overwrites it
            with self.db.auto_commit():
                self._write(account_id, req.url, sealed)
        return self.db.session.get(ReminderWebhook, account_id)

    def _write(self, account_id: uuid.UUID, url: str, secret_sealed: str) -> None:
        webhook = self.db.session.get(ReminderWebhook, account_id, with_for_update=True)
        if webhook is None:
            webhook = ReminderWebhook(account_id=account_id)
            self.db.session.add(webhook)
        webhook.url = url
        webhook.secret_sealed = secret_sealed

    def delete(self, account_id: uuid.UUID) -> None:
        with self.db.auto_commit():
            self.db.session.execute(delete(ReminderWebhook).where(ReminderWebhook.account_id == account_id))

    def target(self, account_id: uuid.UUID, reminder_url: str | None) -> WebhookTarget | None:
        """Where a fired reminder goes: its own URL, else the account's; signed with the account's secret."""
        webhook = self.get(account_id)
        secret = self.secret_box.decrypt(webhook.secret_sealed) if webhook and webhook.secret_sealed else ""
        url = reminder_url or (webhook.url if webhook else None)
        return WebhookTarget(url, secret) if url else None
