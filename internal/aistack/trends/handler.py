"""HTTP handlers of the trend analysis system: parse, one service call, the envelope."""

import uuid
from dataclasses import dataclass

from flask import Response
from injector import inject

from internal.aistack.gateway.auth import current_account_id
from internal.aistack.gateway.endpoint import aistack_endpoint
from internal.aistack.gateway.envelope import created, iso, success

from .hot_topic_service import HotTopicService
from .models import TrendReport, TrendReportChart
from .report_service import ReportFile, TrendReportService, chart_path
from .schemas import (
    HotTopicsQuery,
    HotTopicsResp,
    ReportDownloadQuery,
    ReportReq,
    ReportResp,
    SearchReq,
    SearchResp,
    SentimentReq,
    SentimentResp,
)
from .search_service import TrendSearchService
from .sentiment import SentimentAnalyzer

SYSTEM = "trends"


@inject
@dataclass
class TrendHandler:
    hot_topic_service: HotTopicService
    search_service: TrendSearchService
    sentiment_analyzer: SentimentAnalyzer

    @aistack_endpoint(SYSTEM, query=HotTopicsQuery, resp=HotTopicsResp, extra_errors=(503,), tags=("热点追踪",))
    def hot_topics(self, query: HotTopicsQuery):
        """A platform's hot list: weibo, zhihu and baidu from their public lists (a stored collection
        answers for the cache time), local from this platform's own conversations and documents."""
        found = self.hot_topic_service.hot_topics(current_account_id(), query)
        topics = [
            {
                "rank": topic.rank,
                "title": topic.title,
                "heat": topic.heat,
                "url": topic.url,
                "excerpt": topic.excerpt,
                "previous_count": (topic.extra or {}).get("previous_count"),
                "growth": (topic.extra or {}).get("growth"),
            }
            for topic in found.topics
        ]
        return success({"platform": found.platform, "collected_at": iso(found.collected_at), "cached": found.cached, "topics": topics})

    @aistack_endpoint(SYSTEM, body=SearchReq, resp=SearchResp, tags=("热点追踪",))
    def search(self, body: SearchReq):
        """A keyword's volume per day and related terms, from the collected hot lists (and the
        caller's own texts for local)."""
        return success(self.search_service.search(current_account_id(), body).model_dump(mode="json"))

    @aistack_endpoint(SYSTEM, body=SentimentReq, resp=SentimentResp, tags=("情感分析",))
    def sentiment(self, body: SentimentReq):
        """Positive, negative or neutral, with the score (0 negative … 1 positive) and confidence."""
        found = self.sentiment_analyzer.analyze(body.text)
        return success(
            {"sentiment": found.sentiment, "score": found.score, "confidence": found.confidence, "language": found.language, "method": found.method}
        )


def _report(report: TrendReport, charts: list[TrendReportChart]) -> dict:
    base = f"/api/trends/reports/{report.id}"
    return {
        "report_id": str(report.id),
        "topic": report.topic,
        "date_range": report.date_range,
        "created_at": iso(report.created_at),
        "summary": report.summary,
        "markdown": report.markdown,
        "charts": [{"name": c.name, "title": c.title, "url": chart_path(report.id, c.name)} for c in charts],
        "downloads": {"markdown": f"{base}/download?format=markdown", "pdf": f"{base}/download?format=pdf"},
    }


def _file(found: ReportFile, attachment: bool = True) -> Response:
    response = Response(found.content, mimetype=found.mimetype)
    if attachment:
        response.headers["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    return response


@inject
@dataclass
class TrendReportHandler:
    report_service: TrendReportService

    @aistack_endpoint(SYSTEM, body=ReportReq, resp=ReportResp, status=201, tags=("报告生成",))
    def create_report(self, body: ReportReq):
        """A report of a topic over a range (Markdown and PDF; charts as PNG when include_charts), stored."""
        return created(_report(*self.report_service.create(current_account_id(), body)))

    @aistack_endpoint(SYSTEM, resp=ReportResp, tags=("报告生成",))
    def get_report(self, report_id: uuid.UUID):
        return success(_report(*self.report_service.get(current_account_id(), report_id)))

    @aistack_endpoint(SYSTEM, query=ReportDownloadQuery, raw_response="application/octet-stream", tags=("报告生成",))
    def download_report(self, report_id: uuid.UUID, query: ReportDownloadQuery):
        """The report as a file: format=pdf (default) or markdown."""
        return _file(self.report_service.download(current_account_id(), report_id, query.format))

    @aistack_endpoint(SYSTEM, raw_response="image/png", tags=("报告生成",))
    def report_chart(self, report_id: uuid.UUID, name: str):
        """One chart of the report as a PNG image."""
        return _file(self.report_service.chart(current_account_id(), report_id, name), attachment=False)
