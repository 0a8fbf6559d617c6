"""Publication statistics of an account over a period (GET /api/content/analytics): counts by
platform and status, and the engagement the platforms reported."""

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from injector import inject
from sqlalchemy import func, select

from internal.aistack.gateway.envelope import iso
from internal.extension.database import SQLAlchemy, utcnow

from .models import ContentPublication, PublicationStatus
from .publishers import ENGAGEMENT_FIELDS
from .schemas import AnalyticsResp, Period, PlatformFigures, PublicationStatusFilter

STATUSES = [status.value for status in PublicationStatusFilter]
PERIOD_SPANS = {
    Period.LAST_24_HOURS: timedelta(hours=24),
    Period.LAST_7_DAYS: timedelta(days=7),
    Period.LAST_30_DAYS: timedelta(days=30),
    Period.LAST_90_DAYS: timedelta(days=90),
}


def period_start(period: Period, now: datetime) -> datetime | None:
    """Where `period` begins (today: midnight UTC); None for all time."""
    if period is Period.ALL:
        return None
    if period is Period.TODAY:
        return datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
    return now - PERIOD_SPANS[period]


@inject
@dataclass
class ContentAnalyticsService:
    db: SQLAlchemy

    def analytics(self, account_id: uuid.UUID, period: Period) -> AnalyticsResp:
        now = utcnow()
        start = period_start(period, now)
        scope = [ContentPublication.account_id == account_id]
        if start is not None:
            scope.append(ContentPublication.created_at >= start)
        counts = self.db.session.execute(
            select(ContentPublication.platform, ContentPublication.status, func.count())
            .where(*scope)
            .group_by(ContentPublication.platform, ContentPublication.status)
        ).all()
        reported = self.db.session.execute(
            select(ContentPublication.platform, ContentPublication.engagement).where(
                *scope, ContentPublication.status == PublicationStatus.PUBLISHED
            )
        ).all()

        by_platform: dict[str, Counter] = defaultdict(Counter)
        for platform, status, count in counts:
            by_platform[platform][status] += count
        engagement: dict[str, Counter] = defaultdict(Counter)
        for platform, figures in reported:
            for name, value in (figures or {}).items():
                if name in ENGAGEMENT_FIELDS:
                    engagement[platform][name] += int(value)

        totals = Counter()
        for statuses in by_platform.values():
            totals.update(statuses)
        ran = totals[PublicationStatus.PUBLISHED] + totals[PublicationStatus.FAILED]
        all_engagement = Counter()
        for figures in engagement.values():
            all_engagement.update(figures)
        return AnalyticsResp(
            period=period.value,
            start=iso(start),
            end=iso(now),
            total=sum(totals.values()),
            by_status={status: totals[status] for status in STATUSES},
            success_rate=round(totals[PublicationStatus.PUBLISHED] / ran, 4) if ran else None,
            by_platform=[
                PlatformFigures(
                    platform=platform,
                    total=sum(statuses.values()),
                    by_status={status: statuses[status] for status in STATUSES},
                    engagement=_figures(engagement[platform]),
                )
                for platform, statuses in sorted(by_platform.items())
            ],
            engagement=_figures(all_engagement),
        )


def _figures(counter: Counter) -> dict[str, int]:
    return {name: counter[name] for name in ENGAGEMENT_FIELDS}
