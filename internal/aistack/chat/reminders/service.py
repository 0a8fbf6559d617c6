"""Reminders of an account: created for a future time, listed, read, deleted, and — once fired —
handed to the chat reply that shows them, each once."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from injector import inject
from pydantic import BaseModel
from sqlalchemy import delete, or_, select, update

from internal.aistack.gateway.envelope import Pagination, iso
from internal.aistack.gateway.errors import invalid_input
from internal.aistack.gateway.listing import paginate
from internal.exception import NotFoundException
from internal.extension.database import utcnow
from internal.service.base_service import BaseService

from .models import Reminder, ReminderStatus
from .schemas import REMINDER_LIST, CreateReminderReq

REMINDER_NOT_FOUND = "提醒不存在"


@dataclass(frozen=True)
class FiredReminder:
    """A fired reminder as a chat reply shows it."""

    reminder_id: uuid.UUID
    title: str
    content: str
    remind_at: datetime
    fired_at: datetime
    session_id: str | None

    def as_dict(self) -> dict:
        """The reminder as a reply's JSON carries it (e.g. in `context.reminders`)."""
        return {
            "reminder_id": str(self.reminder_id),
            "title": self.title,
            "content": self.content,
            "remind_at": iso(self.remind_at),
            "fired_at": iso(self.fired_at),
            "session_id": self.session_id,
        }


def reminders_notice(reminders: list[FiredReminder]) -> str:
    """The lines a reply's text starts with to show `reminders`; empty when there are none."""
    lines = [f"⏰ 提醒：{r.title}" + (f"——{r.content}" if r.content else "") for r in reminders]
    return "\n".join(lines)


@inject
@dataclass
class ReminderService(BaseService):
    def create(self, account_id: uuid.UUID, req: CreateReminderReq) -> Reminder:
        if req.remind_at <= utcnow():
            raise invalid_input("remind_at", "必须是将来的时间")
        with self.db.auto_commit():
            reminder = Reminder(
                account_id=account_id,
                title=req.title,
                content=req.content,
                remind_at=req.remind_at,
                session_id=req.session_id,
                webhook_url=req.webhook_url,
            )
            self.db.session.add(reminder)
        return reminder

    def list_reminders(self, account_id: uuid.UUID, query: BaseModel) -> tuple[list[Reminder], Pagination]:
        stmt = REMINDER_LIST.apply(select(Reminder).where(Reminder.account_id == account_id), query)
        return paginate(self.db.session, stmt, query, tiebreak=Reminder.id)

    def get(self, account_id: uuid.UUID, reminder_id: uuid.UUID) -> Reminder:
        return self.get_owned(Reminder, reminder_id, account_id, REMINDER_NOT_FOUND)

    def delete(self, account_id: uuid.UUID, reminder_id: uuid.UUID) -> None:
        """A pending reminder is cancelled (it never fires); a fired one is forgotten, its webhook
        delivery included. Either way the record is gone."""
        with self.db.auto_commit():
            deleted = self.db.session.execute(
                delete(Reminder).where(Reminder.id == reminder_id, Reminder.account_id == account_id)
                .execution_options(synchronize_session=False)
            ).rowcount
        if not deleted:
            raise NotFoundException(REMINDER_NOT_FOUND)

    def take_for_reply(self, account_id: uuid.UUID, session_id: str) -> list[FiredReminder]:
        """The fired reminders a reply in `session_id` shows — the session's own and those created
        without a session — marked shown in the same statement, so each is shown by one reply only,
        however many replies run at once. Oldest first."""
        now = utcnow()
        with self.db.auto_commit():
            rows = self.db.session.execute(
                update(Reminder)
                .where(
                    Reminder.account_id == account_id,
                    Reminder.status == ReminderStatus.FIRED,
                    Reminder.shown_at.is_(None),
                    or_(Reminder.session_id == session_id, Reminder.session_id.is_(None)),
                )
                .values(shown_at=now)
                .execution_options(synchronize_session=False)
                .returning(
                    Reminder.id, Reminder.title, Reminder.content, Reminder.remind_at, Reminder.fired_at, Reminder.session_id
                )
            ).all()
        taken = [FiredReminder(*row) for row in rows]
        return sorted(taken, key=lambda reminder: (reminder.remind_at, str(reminder.reminder_id)))
