"""What the model is told about a chat session on each of its turns besides the conversation
itself, as notes in the system prompt (`ChatRequest.notes`): the context the session saved, and
the reminders that fired since its last reply (which the reply shows)."""

import json
from dataclasses import dataclass

from injector import inject

from .models import AIStackChatSession
from .reminders.service import FiredReminder

CONTEXT_NOTE = "Context saved for this chat session (JSON):\n{context}"
REMINDERS_NOTE = (
    "These reminders of the user fired since your last reply; the reply already starts with them, "
    "so do not repeat them unless asked:\n{reminders}"
)


@inject
@dataclass
class SessionNotes:
    def for_turn(self, session: AIStackChatSession, reminders: list[FiredReminder]) -> list[str]:
        notes = []
        if session.context:
            notes.append(CONTEXT_NOTE.format(context=json.dumps(session.context, ensure_ascii=False, sort_keys=True)))
        if reminders:
            listed = [json.dumps(r.as_dict(), ensure_ascii=False) for r in reminders]
            notes.append(REMINDERS_NOTE.format(reminders="\n".join(listed)))
        return notes
