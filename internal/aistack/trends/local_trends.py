"""The `local` platform: what this platform's own texts talk about — the caller's apps' messages
(questions and answers) and the caller's document segments — as jieba terms counted per time
window (how many texts mention each) and ranked by growth over the window before. Offline."""

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from injector import inject
from sqlalchemy import select

from config import Settings
from internal.model import App, Message, Segment
from internal.service.base_service import BaseService

from .keywords import terms


@dataclass(frozen=True)
class LocalText:
    text: str
    created_at: datetime


@dataclass(frozen=True)
class LocalTerm:
    term: str
    count: int  # texts of the current window mentioning it
    previous_count: int  # texts of the window before mentioning it
    growth: float  # (count - previous) / max(previous, 1)


@inject
@dataclass
class LocalTexts(BaseService):
    """The caller's texts created in [start, end), newest first, at most `limit` of each kind."""

    settings: Settings

    def between(self, account_id: uuid.UUID, start: datetime, end: datetime, limit: int | None = None) -> list[LocalText]:
        limit = limit or self.settings.aistack_trends.trends_local_max_texts
        session = self.db.session
        messages = session.execute(
            select(Message.query, Message.answer, Message.created_at)
            .join(App, App.id == Message.app_id)
            .where(App.account_id == account_id, Message.is_deleted.is_(False))
            .where(Message.created_at >= start, Message.created_at < end)
            .order_by(Message.created_at.desc())
            .limit(limit)
        ).all()
        segments = session.execute(
            select(Segment.content, Segment.created_at)
            .where(Segment.account_id == account_id, Segment.created_at >= start, Segment.created_at < end)
            .order_by(Segment.created_at.desc())
            .limit(limit)
        ).all()
        texts = [LocalText(f"{row.query}\n{row.answer}", row.created_at) for row in messages]
        texts += [LocalText(row.content, row.created_at) for row in segments]
        return texts


def document_frequencies(texts: list[LocalText]) -> Counter:
    counts: Counter = Counter()
    for text in texts:
        counts.update(set(terms(text.text)))
    return counts


@inject
@dataclass
class LocalTrends:
    settings: Settings
    texts: LocalTexts

    def rising_terms(self, account_id: uuid.UUID, now: datetime, limit: int) -> list[LocalTerm]:
        window = timedelta(hours=self.settings.aistack_trends.trends_local_window_hours)
        current = document_frequencies(self.texts.between(account_id, now - window, now + timedelta(seconds=1)))
        previous = document_frequencies(self.texts.between(account_id, now - 2 * window, now - window))
        ranked = [
            LocalTerm(term, count, previous[term], round((count - previous[term]) / max(previous[term], 1), 4))
            for term, count in current.items()
        ]
        ranked.sort(key=lambda t: (-t.growth, -t.count, t.term))
        return ranked[:limit]
