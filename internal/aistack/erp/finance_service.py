"""The books: revenue is what delivered orders were sold for, cost of goods what they cost when
taken (the product's cost on each item), per month, quarter or year in UTC; saved reports with
a line per period, downloadable as a spreadsheet."""

import io
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from injector import inject
from openpyxl import Workbook
from sqlalchemy import func, select

from internal.aistack.gateway.errors import invalid_input
from internal.extension.database import SQLAlchemy

from .models import ErpFinanceReport, ErpOrder
from .records import owned
from .schemas import FinanceFigures, OverviewQuery, OverviewResp, Period, ReportLine, ReportReq, ReportType

MARGIN = Decimal("0.0001")
MONEY_FIELDS = ("revenue", "cost", "profit", "profit_margin")
MAX_REPORT_DAYS = 3660


def period_of(day: date, period: Period) -> tuple[date, date, str]:
    """[first day, first day of the next) of the period holding `day`, and its label."""
    if period is Period.MONTH:
        start = day.replace(day=1)
        label = f"{day.year}-{day.month:02d}"
        months = 1
    elif period is Period.QUARTER:
        quarter = (day.month - 1) // 3
        start = date(day.year, quarter * 3 + 1, 1)
        label = f"{day.year}-Q{quarter + 1}"
        months = 3
    else:
        start = date(day.year, 1, 1)
        label = str(day.year)
        months = 12
    month = start.month - 1 + months
    return start, date(start.year + month // 12, month % 12 + 1, 1), label


def figures(order_count: int, revenue: Decimal, cost: Decimal) -> dict:
    profit = revenue - cost
    margin = (profit / revenue).quantize(MARGIN) if revenue else Decimal("0")
    return {"order_count": order_count, "revenue": revenue, "cost": cost, "profit": profit, "profit_margin": margin}


def _utc(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


@inject
@dataclass
class ErpFinanceService:
    db: SQLAlchemy

    def _totals(self, account_id: uuid.UUID, start: date, end: date) -> dict:
        """Delivered orders of [start, end) as figures."""
        count, revenue, cost = self.db.session.execute(
            select(func.count(ErpOrder.id), func.sum(ErpOrder.total_amount), func.sum(ErpOrder.total_cost)).where(
                ErpOrder.account_id == account_id,
                ErpOrder.status == "delivered",
                ErpOrder.delivered_at >= _utc(start),
                ErpOrder.delivered_at < _utc(end),
            )
        ).one()
        return figures(count, revenue or Decimal("0.00"), cost or Decimal("0.00"))

    def overview(self, account_id: uuid.UUID, query: OverviewQuery) -> OverviewResp:
        start, end, label = period_of(query.day or datetime.now(UTC).date(), query.period)
        return OverviewResp(period=label, start_date=start, end_date=end - timedelta(days=1),
                            **self._totals(account_id, start, end))

    def create_report(self, account_id: uuid.UUID, req: ReportReq) -> ErpFinanceReport:
        if req.end_date < req.start_date:
            raise invalid_input("end_date", "结束日期不能早于开始日期")
        if (req.end_date - req.start_date).days > MAX_REPORT_DAYS:
            raise invalid_input("end_date", "报表跨度不能超过10年")
        period = Period.MONTH if req.type is ReportType.MONTHLY else Period.QUARTER
        lines = []
        day = req.start_date
        while day <= req.end_date:
            period_start, period_end, label = period_of(day, period)
            last = min(period_end - timedelta(days=1), req.end_date)
            line = ReportLine(period=label, start_date=day, end_date=last,
                              **self._totals(account_id, day, last + timedelta(days=1)))
            lines.append(line.model_dump(mode="python") | {k: str(getattr(line, k)) for k in MONEY_FIELDS}
                         | {"start_date": day.isoformat(), "end_date": last.isoformat()})
            day = period_end
        report = ErpFinanceReport(account_id=account_id, type=req.type.value, start_date=req.start_date,
                                  end_date=req.end_date, lines=lines)
        with self.db.auto_commit():
            self.db.session.add(report)
        return report

    def get_report(self, account_id: uuid.UUID, report_id: int) -> ErpFinanceReport:
        return owned(self.db.session, ErpFinanceReport, report_id, account_id)

    @staticmethod
    def lines_of(report: ErpFinanceReport) -> tuple[list[ReportLine], FinanceFigures]:
        lines = [ReportLine(**{k: Decimal(v) if k in MONEY_FIELDS else v for k, v in line.items()}) for line in report.lines]
        total = figures(sum(line.order_count for line in lines), sum((line.revenue for line in lines), Decimal("0.00")),
                        sum((line.cost for line in lines), Decimal("0.00")))
        return lines, FinanceFigures(**total)

    def spreadsheet(self, account_id: uuid.UUID, report_id: int) -> tuple[bytes, str]:
        """The report as an .xlsx workbook (amounts as exact decimal numbers) and its file name."""
        report = self.get_report(account_id, report_id)
        lines, total = self.lines_of(report)
        book = Workbook()
        sheet = book.active
        sheet.title = "财务报表"
        sheet.append(["期间", "开始日期", "结束日期", "订单数", "收入", "成本", "利润", "利润率"])
        for line in lines:
            sheet.append([line.period, line.start_date, line.end_date, line.order_count, line.revenue, line.cost,
                          line.profit, line.profit_margin])
        sheet.append(["合计", report.start_date, report.end_date, total.order_count, total.revenue, total.cost,
                      total.profit, total.profit_margin])
        for row in sheet.iter_rows(min_row=2):
            row[1].number_format = row[2].number_format = "yyyy-mm-dd"
            for cell in row[4:7]:
                cell.number_format = "#,##0.00"
            row[7].number_format = "0.00%"
        out = io.BytesIO()
        book.save(out)
        return out.getvalue(), f"finance-report-{report.id}-{report.type}.xlsx"
