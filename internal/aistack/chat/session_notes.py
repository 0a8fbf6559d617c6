"""What the model is told about a chat session on each of its turns besides the conversation
itself, as notes in the system prompt (`ChatRequest.notes`). Today: the context the session
saved. This is the one place to add more (such as reminders that fired since the last reply)."""

import json
from dataclasses import dataclass

from injector import inject

from .models import AIStackChatSession

CONTEXT_NOTE = "Context saved for this chat session (JSON):\n{context}"


@inject
@dataclass
class SessionNotes:
    def for_turn(self, session: AIStackChatSession) -> list[str]:
        notes = []
        if session.context:
            notes.append(CONTEXT_NOTE.format(context=json.dumps(session.context, ensure_ascii=False, sort_keys=True)))
        return notes
