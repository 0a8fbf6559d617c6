"""A keyword's trend from what has been collected: per day, how many distinct hot-list topics of
the chosen platforms mentioned it (and, for `local`, how many of the caller's messages and
segments did), the terms that came with it, and the topics themselves."""

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from injector import inject
from sqlalchemy import select

from internal.aistack.gateway.envelope import iso
from internal.service.base_service import BaseService

from .keywords import terms
from .local_trends import LocalTexts
from .models import TrendTopic
from .schemas import Platform, SearchReq, SearchResp, range_bounds

MAX_TOPIC_ROWS = 20_000
RELATED_TERMS = 15
MATCHED_TOPICS = 20


@dataclass(frozen=True)
class Mention:
    platform: str
    day: str
    text: str
    title: str | None = None
    heat: int | None = None
    seen_at: datetime | None = None


@inject
@dataclass
class TrendSearchService(BaseService):
    local_texts: LocalTexts

    def mentions(self, account_id: uuid.UUID, keyword: str, platforms: list[Platform], start: datetime, end: datetime) -> list[Mention]:
        lowered = keyword.lower()
        remote = [p.value for p in platforms if p is not Platform.LOCAL]
        found: list[Mention] = []
        if remote:
            rows = self.db.session.execute(
                select(TrendTopic.platform, TrendTopic.title, TrendTopic.heat, TrendTopic.collected_at)
                .where(TrendTopic.account_id == account_id, TrendTopic.platform.in_(remote))
                .where(TrendTopic.collected_at >= start, TrendTopic.collected_at <= end)
                .order_by(TrendTopic.collected_at.desc())
                .limit(MAX_TOPIC_ROWS)
            ).all()
            seen: set[tuple[str, str, str]] = set()
            for row in rows:
                day = row.collected_at.date().isoformat()
                key = (row.platform, row.title, day)
                if lowered in row.title.lower() and key not in seen:  # one mention per topic and day
                    seen.add(key)
                    found.append(Mention(row.platform, day, row.title, row.title, row.heat, row.collected_at))
        if Platform.LOCAL in platforms:
            for text in self.local_texts.between(account_id, start, end + timedelta(seconds=1)):
                if lowered in text.text.lower():
                    found.append(Mention("local", text.created_at.date().isoformat(), text.text))
        return found

    def search(self, account_id: uuid.UUID, req: SearchReq) -> SearchResp:
        start, end = range_bounds(req.date_range)
        mentions = self.mentions(account_id, req.keyword, req.platforms, start, end)
        self.db.session.commit()
        return SearchResp(
            keyword=req.keyword,
            platforms=req.platforms,
            date_range=req.date_range,
            start=iso(start),
            end=iso(end),
            total_mentions=len(mentions),
            volume=volume_by_day(mentions, start, end, req.platforms),
            related_terms=related_terms(mentions, req.keyword),
            topics=matched_topics(mentions),
        )


def volume_by_day(mentions: list[Mention], start: datetime, end: datetime, platforms: list[Platform]) -> list[dict]:
    per_day: dict[str, Counter] = defaultdict(Counter)
    for mention in mentions:
        per_day[mention.day][mention.platform] += 1
    points, day = [], start.date()
    while day <= end.date():
        counts = per_day.get(day.isoformat(), Counter())
        points.append(
            {"date": day.isoformat(), "count": sum(counts.values()), "by_platform": {p.value: counts[p.value] for p in platforms}}
        )
        day += timedelta(days=1)
    return points


def related_terms(mentions: list[Mention], keyword: str) -> list[dict]:
    own = set(terms(keyword)) | {keyword.lower()}
    counts: Counter = Counter()
    for mention in mentions:
        counts.update(set(terms(mention.text)) - own)
    return [{"term": term, "count": count} for term, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:RELATED_TERMS]]


def matched_topics(mentions: list[Mention]) -> list[dict]:
    latest: dict[tuple[str, str], Mention] = {}
    for mention in mentions:
        if mention.title is not None:
            key = (mention.platform, mention.title)
            if key not in latest or mention.seen_at > latest[key].seen_at:
                latest[key] = mention
    ordered = sorted(latest.values(), key=lambda m: (-(m.heat or 0), m.title))[:MATCHED_TOPICS]
    return [{"platform": m.platform, "title": m.title, "heat": m.heat, "last_seen": iso(m.seen_at)} for m in ordered]
