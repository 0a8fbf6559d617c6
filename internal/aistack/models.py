"""Every AI Stack system's models, imported so Alembic's metadata (`flask db`) sees them."""

from .chat.reminders.models import Reminder, ReminderWebhook

__all__ = ["Reminder", "ReminderWebhook"]
