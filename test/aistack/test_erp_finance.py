"""ERP finance: the overview of a month, quarter or year from delivered orders (figures worked
out by hand), and reports with a line per period, downloadable as a spreadsheet."""

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from .client import assert_error, data_of
from .erp_support import customer, erp_caller, exact, move, order, product, stock_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def erp(app, client):
    return erp_caller(app, client)


def deliver(erp, order_id: int) -> None:
    for status in ("processing", "shipped", "delivered"):
        data_of(move(erp, order_id, status))


def book_sales(erp) -> None:
    """Delivered today: 2 × 99.99 (cost 60.00) and 3 × 10.10 (cost 5.05); one order only shipped.
    Revenue 199.98 + 30.30 = 230.28, cost 120.00 + 15.15 = 135.15, profit 95.13,
    margin 95.13 / 230.28 = 0.4131."""
    buyer = customer(erp)
    gear = product(erp, price=99.99, cost=60)
    nut = product(erp, price=12, cost=5.05)
    stock_in(erp, gear["product_id"], 10)
    stock_in(erp, nut["product_id"], 10)
    deliver(erp, order(erp, buyer["customer_id"], [{"product_id": gear["product_id"], "quantity": 2}])["order_id"])
    deliver(erp, order(erp, buyer["customer_id"], [
        {"product_id": nut["product_id"], "quantity": 3, "unit_price": 10.10}])["order_id"])
    shipped = order(erp, buyer["customer_id"], [{"product_id": gear["product_id"], "quantity": 1}])
    data_of(move(erp, shipped["order_id"], "processing"))
    data_of(move(erp, shipped["order_id"], "shipped"))


def test_overview_on_both_addresses(aistack):
    book_sales(aistack)
    today = datetime.now(UTC).date()
    resp = aistack.get("erp", f"/api/finance/overview?period=month&date={today.isoformat()}")
    figures = exact(resp)["data"]
    assert resp.status_code == 200
    assert {k: figures[k] for k in ("revenue", "cost", "profit", "profit_margin", "order_count", "period")} == {
        "revenue": Decimal("230.28"), "cost": Decimal("135.15"), "profit": Decimal("95.13"),
        "profit_margin": Decimal("0.4131"), "order_count": 2, "period": f"{today.year}-{today.month:02d}"}


def test_overview_periods_and_labels(erp):
    book_sales(erp)
    today = datetime.now(UTC).date()
    quarter = data_of(erp.get("erp", f"/api/finance/overview?period=quarter&date={today.isoformat()}"))
    assert quarter["period"] == f"{today.year}-Q{(today.month - 1) // 3 + 1}" and quarter["revenue"] == 230.28
    year = data_of(erp.get("erp", "/api/finance/overview?period=year"))
    assert (year["period"], year["profit"], year["start_date"], year["end_date"]) == (
        str(today.year), 95.13, f"{today.year}-01-01", f"{today.year}-12-31")
    assert data_of(erp.get("erp", "/api/finance/overview"))["period"] == f"{today.year}-{today.month:02d}"
    empty = data_of(erp.get("erp", "/api/finance/overview?period=quarter&date=2020-11-07"))
    assert empty == {"revenue": 0, "cost": 0, "profit": 0, "profit_margin": 0, "order_count": 0,
                     "period": "2020-Q4", "start_date": "2020-10-01", "end_date": "2020-12-31"}
    assert_error(erp.get("erp", "/api/finance/overview?period=week"), 400, "INVALID_INPUT", "period")
    assert_error(erp.get("erp", "/api/finance/overview?date=2020-02-30"), 400, "INVALID_INPUT", "date")


def test_monthly_report_and_its_spreadsheet(app, client, erp):
    book_sales(erp)
    today = datetime.now(UTC).date()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=15)
    report = data_of(erp.post("erp", "/api/finance/reports", json={
        "type": "monthly", "start_date": last_month.isoformat(), "end_date": today.isoformat()}), 201)
    assert [(line["period"], line["order_count"], line["revenue"], line["cost"], line["profit"], line["profit_margin"])
            for line in report["lines"]] == [
        (f"{last_month.year}-{last_month.month:02d}", 0, 0, 0, 0, 0),
        (f"{today.year}-{today.month:02d}", 2, 230.28, 135.15, 95.13, 0.4131),
    ]
    assert report["lines"][0]["start_date"] == last_month.isoformat()
    assert report["lines"][1]["start_date"] == today.replace(day=1).isoformat()
    assert report["lines"][1]["end_date"] == today.isoformat()
    assert report["total"]["revenue"] == 230.28
    assert data_of(erp.get("erp", f"/api/finance/reports/{report['report_id']}")) == report

    resp = erp.get("erp", report["download_url"])
    assert resp.status_code == 200 and resp.mimetype == XLSX
    assert "attachment" in resp.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(resp.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["期间", "开始日期", "结束日期", "订单数", "收入", "成本", "利润", "利润率"]
    assert rows[2][0] == f"{today.year}-{today.month:02d}" and rows[2][3:] == [2, 230.28, 135.15, 95.13, 0.4131]
    assert rows[3][0] == "合计" and rows[3][3:] == [2, 230.28, 135.15, 95.13, 0.4131]

    other = erp_caller(app, client)
    assert_error(other.get("erp", f"/api/finance/reports/{report['report_id']}"), 404, "RESOURCE_NOT_FOUND")
    assert_error(other.get("erp", report["download_url"]), 404, "RESOURCE_NOT_FOUND")
    assert data_of(other.get("erp", f"/api/finance/overview?date={today.isoformat()}"))["revenue"] == 0


def test_quarterly_report_and_validation(erp):
    report = data_of(erp.post("erp", "/api/finance/reports", json={
        "type": "quarterly", "start_date": "2025-02-10", "end_date": "2025-11-30"}), 201)
    assert [(line["period"], line["start_date"], line["end_date"]) for line in report["lines"]] == [
        ("2025-Q1", "2025-02-10", "2025-03-31"), ("2025-Q2", "2025-04-01", "2025-06-30"),
        ("2025-Q3", "2025-07-01", "2025-09-30"), ("2025-Q4", "2025-10-01", "2025-11-30")]
    for field, body in (
        ("type", {"type": "weekly", "start_date": "2025-11-01", "end_date": "2025-11-30"}),
        ("end_date", {"type": "monthly", "start_date": "2025-11-30", "end_date": "2025-11-01"}),
        ("end_date", {"type": "monthly", "start_date": "2000-01-01", "end_date": "2025-11-01"}),
        ("start_date", {"type": "monthly", "end_date": "2025-11-01"}),
    ):
        assert_error(erp.post("erp", "/api/finance/reports", json=body), 400, "INVALID_INPUT", field)
    assert_error(erp.get("erp", "/api/finance/reports/987654321/download"), 404, "RESOURCE_NOT_FOUND")
    assert date.fromisoformat(report["start_date"]) == date(2025, 2, 10)
