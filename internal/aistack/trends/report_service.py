"""Trend reports: a topic's mentions over a range (see search_service), the sentiment of what was
said (offline analyzer), rendered as Markdown and PDF with PNG charts when asked, stored for
download."""

import io
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from injector import inject
from sqlalchemy import select

from internal.aistack.documents.pdf import CJK_FONT, new_cjk_pdf
from internal.aistack.gateway.envelope import iso
from internal.exception import NotFoundException
from internal.service.base_service import BaseService

from . import charts
from .hot_lists import PLATFORM_TITLES
from .models import TrendReport, TrendReportChart
from .schemas import ReportReq, range_bounds
from .search_service import TrendSearchService, matched_topics, related_terms, volume_by_day
from .sentiment import offline_sentiment

REPORT_NOT_FOUND = "报告不存在"
SENTIMENT_SAMPLE = 200  # mentions whose sentiment a report measures
TEXT_CHARS = 500
CHART_ORDER = ("volume", "sentiment")


@dataclass(frozen=True)
class ReportFile:
    filename: str
    mimetype: str
    content: bytes


@inject
@dataclass
class TrendReportService(BaseService):
    search: TrendSearchService

    def create(self, account_id: uuid.UUID, req: ReportReq) -> tuple[TrendReport, list[TrendReportChart]]:
        start, end = range_bounds(req.date_range)
        mentions = self.search.mentions(account_id, req.topic, req.platforms, start, end)
        self.db.session.commit()  # rendering happens with nothing open
        volume = volume_by_day(mentions, start, end, req.platforms)
        sentiments = Counter(offline_sentiment(m.text[:TEXT_CHARS]).sentiment for m in mentions[:SENTIMENT_SAMPLE])
        peak = max(volume, key=lambda point: point["count"]) if mentions else None
        summary = {
            "total_mentions": len(mentions),
            "by_platform": {p.value: sum(point["by_platform"][p.value] for point in volume) for p in req.platforms},
            "peak_date": peak["date"] if peak else None,
            "sentiment": {name: sentiments.get(name, 0) for name in ("positive", "neutral", "negative")},
            "related_terms": related_terms(mentions, req.topic),
            "top_topics": matched_topics(mentions)[:10],
            "start": iso(start),
            "end": iso(end),
        }
        images = []
        if req.include_charts:
            images = [
                ("volume", f"“{req.topic}”每日提及数", charts.volume_chart(f"“{req.topic}”每日提及数", volume)),
                ("sentiment", f"“{req.topic}”情感分布", charts.sentiment_chart(f"“{req.topic}”情感分布", summary["sentiment"])),
            ]
        report_id = uuid.uuid4()
        markdown = render_markdown(report_id, req, summary, volume, images)
        pdf = render_pdf(req, summary, volume, images)
        with self.db.auto_commit():
            report = TrendReport(
                id=report_id, account_id=account_id, topic=req.topic, date_range=req.date_range,
                summary=summary, markdown=markdown, pdf=pdf, created_at=datetime.now(UTC),
            )  # fmt: skip
            self.db.session.add(report)
            self.db.session.flush()
            stored = [
                TrendReportChart(account_id=account_id, report_id=report_id, name=name, title=title, png=png) for name, title, png in images
            ]
            self.db.session.add_all(stored)
        return report, stored

    def get(self, account_id: uuid.UUID, report_id: uuid.UUID) -> tuple[TrendReport, list[TrendReportChart]]:
        report = self.get_owned(TrendReport, report_id, account_id, REPORT_NOT_FOUND)
        return report, self._charts(report.id)

    def download(self, account_id: uuid.UUID, report_id: uuid.UUID, format_name: str) -> ReportFile:
        report = self.get_owned(TrendReport, report_id, account_id, REPORT_NOT_FOUND)
        if format_name == "markdown":
            return ReportFile(f"trend-report-{report.id}.md", "text/markdown; charset=utf-8", report.markdown.encode())
        return ReportFile(f"trend-report-{report.id}.pdf", "application/pdf", report.pdf)

    def chart(self, account_id: uuid.UUID, report_id: uuid.UUID, name: str) -> ReportFile:
        report = self.get_owned(TrendReport, report_id, account_id, REPORT_NOT_FOUND)
        for chart in self._charts(report.id):
            if chart.name == name:
                return ReportFile(f"{name}.png", "image/png", chart.png)
        raise NotFoundException("图表不存在")

    def _charts(self, report_id: uuid.UUID) -> list[TrendReportChart]:
        stored = self.db.session.scalars(select(TrendReportChart).where(TrendReportChart.report_id == report_id))
        return sorted(stored, key=lambda chart: CHART_ORDER.index(chart.name) if chart.name in CHART_ORDER else len(CHART_ORDER))


def chart_path(report_id: uuid.UUID, name: str) -> str:
    return f"/api/trends/reports/{report_id}/charts/{name}"


def _overview(req: ReportReq, summary: dict) -> list[str]:
    platforms = "、".join(PLATFORM_TITLES[p.value] for p in req.platforms)
    sentiment = summary["sentiment"]
    lines = [
        f"- 时间范围：{summary['start']} 至 {summary['end']}（{req.date_range}）",
        f"- 平台：{platforms}",
        f"- 提及总数：{summary['total_mentions']}" + (f"，峰值日：{summary['peak_date']}" if summary["peak_date"] else ""),
        "- 各平台：" + "，".join(f"{PLATFORM_TITLES[p]} {n}" for p, n in summary["by_platform"].items()),
        f"- 情感：正面 {sentiment['positive']}，中性 {sentiment['neutral']}，负面 {sentiment['negative']}",
    ]
    if summary["related_terms"]:
        lines.append("- 相关词：" + "、".join(f"{t['term']}（{t['count']}）" for t in summary["related_terms"]))
    return lines


def render_markdown(report_id: uuid.UUID, req: ReportReq, summary: dict, volume: list[dict], images: list) -> str:
    lines = [f"# 趋势报告：{req.topic}", "", "## 概览", "", *_overview(req, summary), ""]
    if images:
        lines += ["## 图表", ""] + [f"![{title}]({chart_path(report_id, name)})" for name, title, _ in images] + [""]
    lines += ["## 每日提及", "", "| 日期 | 提及数 |", "| --- | --- |"]
    lines += [f"| {point['date']} | {point['count']} |" for point in volume if point["count"]] or ["| — | 0 |"]
    if summary["top_topics"]:
        lines += ["", "## 热门话题", ""]
        lines += [f"{i}. [{PLATFORM_TITLES[t['platform']]}] {t['title']}（热度 {t['heat'] or '—'}）" for i, t in enumerate(summary["top_topics"], 1)]
    if not summary["total_mentions"]:
        lines += ["", "> 所选范围内尚无采集到的相关内容：先通过热点接口采集各平台热榜，历史会逐步积累。"]
    return "\n".join(lines) + "\n"


def render_pdf(req: ReportReq, summary: dict, volume: list[dict], images: list) -> bytes:
    pdf = new_cjk_pdf()
    pdf.set_font(CJK_FONT, size=18)
    pdf.multi_cell(0, 10, f"趋势报告：{req.topic}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(CJK_FONT, size=11)
    for line in _overview(req, summary):
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    for _, title, png in images:
        pdf.ln(4)
        pdf.image(io.BytesIO(png), w=170, alt_text=title)
    if summary["top_topics"]:
        pdf.ln(4)
        pdf.set_font(CJK_FONT, size=14)
        pdf.multi_cell(0, 9, "热门话题", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(CJK_FONT, size=11)
        for i, topic in enumerate(summary["top_topics"], 1):
            pdf.multi_cell(0, 7, f"{i}. [{PLATFORM_TITLES[topic['platform']]}] {topic['title']}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
