"""The chat center's reminder routes (port 8020, /aistack/chat)."""

from dataclasses import dataclass

from injector import inject

from .handler import ReminderHandler


@inject
@dataclass
class ReminderRoutes:
    handler: ReminderHandler

    def routes(self) -> list[tuple]:
        h = self.handler
        return [
            ("POST", "/api/reminders", h.create_reminder),
            ("GET", "/api/reminders", h.list_reminders),
            # Static rules win over the id's converter: "webhook" is never taken for an id.
            ("GET", "/api/reminders/webhook", h.get_webhook),
            ("PUT", "/api/reminders/webhook", h.put_webhook),
            ("DELETE", "/api/reminders/webhook", h.delete_webhook),
            ("GET", "/api/reminders/<uuid:reminder_id>", h.get_reminder),
            ("DELETE", "/api/reminders/<uuid:reminder_id>", h.delete_reminder),
        ]
