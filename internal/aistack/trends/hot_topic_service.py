"""Hot topics of a platform for an account: the newest stored collection while it is fresh (the
cache), else a new fetch (or, for `local`, a new count) stored as the next collection."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from injector import inject
from sqlalchemy import select

from config import Settings
from internal.service.base_service import BaseService
from pkg.guarded_http import GuardedHttpClient

from .hot_lists import HotItem, fetch_hot_list
from .local_trends import LocalTrends
from .models import TrendCollection, TrendTopic
from .schemas import HotTopicsQuery, Platform

MAX_STORED = 50  # topics kept per collection: the longest list a caller may ask for


@dataclass(frozen=True)
class HotTopics:
    platform: str
    collected_at: datetime
    cached: bool
    topics: list[TrendTopic]


@inject
@dataclass
class HotTopicService(BaseService):
    settings: Settings
    http: GuardedHttpClient
    local_trends: LocalTrends

    def hot_topics(self, account_id: uuid.UUID, query: HotTopicsQuery) -> HotTopics:
        platform = query.platform.value
        now = datetime.now(UTC)
        fresh_after = now - timedelta(seconds=self.settings.aistack_trends.trends_cache_seconds)
        latest = self.db.session.scalars(
            select(TrendCollection)
            .where(TrendCollection.account_id == account_id, TrendCollection.platform == platform)
            .where(TrendCollection.collected_at > fresh_after)
            .order_by(TrendCollection.collected_at.desc())
            .limit(1)
        ).first()
        if latest is not None:
            return HotTopics(platform, latest.collected_at, True, self._topics(latest.id, query.limit))
        if query.platform is Platform.LOCAL:
            items = self._local_items(account_id, now)
        else:
            self.db.session.commit()  # nothing stays open while the platform answers
            items = [(item, {}) for item in fetch_hot_list(self.http, self.settings, platform)]
        collection = self._store(account_id, platform, now, items)
        return HotTopics(platform, collection.collected_at, False, self._topics(collection.id, query.limit))

    def _local_items(self, account_id: uuid.UUID, now: datetime) -> list[tuple[HotItem, dict]]:
        rising = self.local_trends.rising_terms(account_id, now, MAX_STORED)
        return [
            (HotItem(rank, term.term[:255], term.count), {"previous_count": term.previous_count, "growth": term.growth})
            for rank, term in enumerate(rising, start=1)
        ]

    def _store(self, account_id: uuid.UUID, platform: str, now: datetime, items: list[tuple[HotItem, dict]]) -> TrendCollection:
        """`items`: each topic with what its platform adds (local: previous_count, growth)."""
        with self.db.auto_commit():
            collection = TrendCollection(account_id=account_id, platform=platform, collected_at=now)
            self.db.session.add(collection)
            self.db.session.flush()
            for item, extra in items[:MAX_STORED]:
                self.db.session.add(
                    TrendTopic(
                        account_id=account_id,
                        collection_id=collection.id,
                        platform=platform,
                        rank=item.rank,
                        title=item.title,
                        heat=item.heat,
                        url=item.url[:1024],
                        excerpt=item.excerpt,
                        extra=extra,
                        collected_at=now,
                    )
                )
            collection.topic_count = min(len(items), MAX_STORED)
        return collection

    def _topics(self, collection_id: uuid.UUID, limit: int) -> list[TrendTopic]:
        return list(
            self.db.session.scalars(
                select(TrendTopic).where(TrendTopic.collection_id == collection_id).order_by(TrendTopic.rank).limit(limit)
            )
        )
