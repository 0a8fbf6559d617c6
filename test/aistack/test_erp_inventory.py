"""ERP inventory: stock-in and stock-out per warehouse, never below zero — also under 50
concurrent stock-outs — every movement in the ledger (stock = sum of the ledger), and the
summary's low-stock flags."""

import threading
from collections import Counter

import pytest

from .client import AIStackClient, assert_error, data_of
from .erp_support import customer, erp_caller, ledger_total, order, product, stock_in, stock_rows


@pytest.fixture
def erp(app, client):
    return erp_caller(app, client)


def test_fifty_concurrent_stock_outs_against_twenty(app, erp):
    item = product(erp)
    stock_in(erp, item["product_id"], 20)
    barrier = threading.Barrier(50)
    statuses: list[int] = []
    lock = threading.Lock()

    def take_one():
        # A client of its own per thread: 50 requests in flight at once.
        caller = AIStackClient(app.test_client(), erp.token)
        barrier.wait()
        resp = caller.post("erp", "/api/inventory/stock-out", json={
            "product_id": item["product_id"], "quantity": 1, "reason": "销售订单"})
        with lock:
            statuses.append(resp.status_code)

    threads = [threading.Thread(target=take_one) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(statuses) == {201: 20, 400: 30}
    assert stock_rows(erp, item["product_id"]) == {"主仓库": 0}
    assert ledger_total(erp, item["product_id"]) == 0
    movements = data_of(erp.get("erp", f"/api/inventory/movements?filter[product_id]={item['product_id']}"
                                      "&filter[kind]=stock_out&page_size=100&sort=movement_id&order=asc"))
    assert len(movements) == 20 and [m["balance_after"] for m in movements] == list(range(19, -1, -1))


def test_stock_in_and_out_on_both_addresses(aistack):
    item = product(aistack)
    movement = data_of(aistack.post("erp", "/api/inventory/stock-in", json={
        "product_id": item["product_id"], "quantity": 100, "warehouse": "主仓库", "batch_number": "BATCH20251107"}), 201)
    assert (movement["change"], movement["balance_after"], movement["batch_number"]) == (100, 100, "BATCH20251107")
    out = data_of(aistack.post("erp", "/api/inventory/stock-out", json={
        "product_id": item["product_id"], "quantity": 50, "reason": "销售订单"}), 201)
    assert (out["change"], out["balance_after"], out["reason"], out["kind"]) == (-50, 50, "销售订单", "stock_out")
    error = assert_error(aistack.post("erp", "/api/inventory/stock-out", json={
        "product_id": item["product_id"], "quantity": 51}), 400, "INVALID_INPUT", "quantity")
    assert error["details"]["available"] == 50
    summary = aistack.get("erp", "/api/inventory/summary")
    assert [(r["product_id"], r["quantity"]) for r in data_of(summary)] == [(item["product_id"], 50)]
    assert summary.json["pagination"]["total_items"] == 1


def test_ledger_equals_stock_across_every_kind_of_movement(erp):
    buyer = customer(erp)
    item = product(erp)
    stock_in(erp, item["product_id"], 30)
    stock_in(erp, item["product_id"], 7, warehouse="二号仓", batch_number="B2")
    placed = order(erp, buyer["customer_id"], [{"product_id": item["product_id"], "quantity": 6}])
    data_of(erp.post("erp", "/api/inventory/stock-out", json={
        "product_id": item["product_id"], "quantity": 4, "reason": "样品", "order_id": placed["order_id"]}), 201)
    data_of(erp.put("erp", f"/api/orders/{placed['order_id']}/status", json={"status": "processing"}))
    data_of(erp.put("erp", f"/api/orders/{placed['order_id']}/status", json={"status": "shipped"}))
    plan = data_of(erp.post("erp", "/api/production/plans", json={
        "product_id": item["product_id"], "quantity": 9, "start_date": "2025-11-08", "end_date": "2025-11-15"}), 201)
    data_of(erp.put("erp", f"/api/production/plans/{plan['plan_id']}/progress", json={"completed_quantity": 9}))
    rows = stock_rows(erp, item["product_id"])
    assert rows == {"主仓库": 30 - 4 - 6 + 9, "二号仓": 7}
    assert ledger_total(erp, item["product_id"]) == sum(rows.values())
    kinds = [m["kind"] for m in data_of(erp.get("erp", "/api/inventory/movements?sort=movement_id&order=asc"))]
    assert kinds == ["stock_in", "stock_in", "stock_out", "shipment", "production"]


def test_low_stock_flags(erp):
    default = product(erp)  # the settings' threshold: 10
    own = product(erp, low_stock_threshold=3)
    stock_in(erp, default["product_id"], 10)
    stock_in(erp, default["product_id"], 11, warehouse="二号仓")
    stock_in(erp, own["product_id"], 4)
    rows = data_of(erp.get("erp", "/api/inventory/summary?sort=quantity&order=asc"))
    flags = {(r["product_id"], r["warehouse"]): (r["quantity"], r["low_stock_threshold"], r["low_stock"]) for r in rows}
    assert flags == {
        (default["product_id"], "主仓库"): (10, 10, True),
        (default["product_id"], "二号仓"): (11, 10, False),
        (own["product_id"], "主仓库"): (4, 3, False),
    }
    assert [r["quantity"] for r in rows] == [4, 10, 11]
    data_of(erp.post("erp", "/api/inventory/stock-out", json={"product_id": own["product_id"], "quantity": 1}), 201)
    only = data_of(erp.get("erp", f"/api/inventory/summary?filter[product_id]={own['product_id']}"))
    assert [(r["quantity"], r["low_stock"]) for r in only] == [(3, True)]
    assert len(data_of(erp.get("erp", "/api/inventory/summary?filter[warehouse]=二号仓"))) == 1


def test_inventory_validation_and_ownership(app, client, erp):
    item = product(erp)
    stock_in(erp, item["product_id"], 5)
    for path, field, body in (
        ("stock-in", "quantity", {"product_id": item["product_id"], "quantity": 0}),
        ("stock-in", "quantity", {"product_id": item["product_id"], "quantity": -3}),
        ("stock-in", "product_id", {"quantity": 3}),
        ("stock-in", "warehouse", {"product_id": item["product_id"], "quantity": 1, "warehouse": "  "}),
        ("stock-out", "quantity", {"product_id": item["product_id"], "quantity": 2.5}),
        ("stock-out", "quantity", {"product_id": item["product_id"], "quantity": 6}),
        ("stock-out", "quantity", {"product_id": item["product_id"], "quantity": 1, "warehouse": "空仓"}),
    ):
        assert_error(erp.post("erp", f"/api/inventory/{path}", json=body), 400, "INVALID_INPUT", field)
    assert_error(erp.post("erp", "/api/inventory/stock-out", json={
        "product_id": item["product_id"], "quantity": 1, "order_id": 987654321}), 404, "RESOURCE_NOT_FOUND")
    other = erp_caller(app, client)
    for path in ("stock-in", "stock-out"):
        assert_error(other.post("erp", f"/api/inventory/{path}", json={
            "product_id": item["product_id"], "quantity": 1}), 404, "RESOURCE_NOT_FOUND")
    assert data_of(other.get("erp", "/api/inventory/summary")) == []
    assert data_of(other.get("erp", "/api/inventory/movements")) == []
    assert stock_rows(erp, item["product_id"]) == {"主仓库": 5}
    # Offsets ISO 8601 allows but PostgreSQL does not, and the last day a date can name.
    for dates in ("filter[date_to]=3421-06-17T15:25:58%2B23:48", "filter[date_from]=9999-12-31&filter[date_to]=9999-12-31"):
        assert data_of(erp.get("erp", f"/api/inventory/movements?{dates}")) == ([] if "9999" in dates else data_of(
            erp.get("erp", "/api/inventory/movements")))
