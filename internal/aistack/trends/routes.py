"""The trend analysis system's routes, under /aistack/trends and at /api/... on port 8014."""

from dataclasses import dataclass

from injector import inject

from .handler import TrendHandler, TrendReportHandler


@inject
@dataclass
class TrendRoutes:
    trends: TrendHandler
    reports: TrendReportHandler

    def routes(self) -> list[tuple]:
        return [
            ("GET", "/api/trends/hot-topics", self.trends.hot_topics),
            ("POST", "/api/trends/search", self.trends.search),
            ("POST", "/api/trends/sentiment", self.trends.sentiment),
            ("POST", "/api/trends/reports", self.reports.create_report),
            ("GET", "/api/trends/reports/<uuid:report_id>", self.reports.get_report),
            ("GET", "/api/trends/reports/<uuid:report_id>/download", self.reports.download_report),
            ("GET", "/api/trends/reports/<uuid:report_id>/charts/<name>", self.reports.report_chart),
        ]
