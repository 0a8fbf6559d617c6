"""ERP production plans: dates checked, progress only forward and never above the quantity,
and a completed plan's output put into stock exactly once."""

import threading
from collections import Counter

import pytest

from .client import AIStackClient, assert_error, data_of
from .erp_support import customer, erp_caller, ledger_total, order, product, stock_rows


@pytest.fixture
def erp(app, client):
    return erp_caller(app, client)


def plan_body(**fields) -> dict:
    return {"quantity": 100, "start_date": "2025-11-08", "end_date": "2025-11-15"} | fields


def progress(erp, plan_id: int, **fields):
    return erp.put("erp", f"/api/production/plans/{plan_id}/progress", json=fields)


def test_plan_and_progress_on_both_addresses(aistack):
    buyer = customer(aistack)
    item = product(aistack, name="产品名称")
    placed = order(aistack, buyer["customer_id"], [{"product_id": item["product_id"], "quantity": 100}])
    # The document names the product by its name.
    plan = data_of(aistack.post("erp", "/api/production/plans", json=plan_body(
        order_id=placed["order_id"], product="产品名称")), 201)
    assert (plan["product_id"], plan["order_id"], plan["status"], plan["completed_quantity"]) == (
        item["product_id"], placed["order_id"], "planned", 0)
    moved = data_of(progress(aistack, plan["plan_id"], completed_quantity=50, current_stage="加工生产"))
    assert (moved["completed_quantity"], moved["current_stage"], moved["status"], moved["progress"]) == (
        50, "加工生产", "in_progress", 0.5)
    listed = data_of(aistack.get("erp", f"/api/production/plans?filter[order_id]={placed['order_id']}"))
    assert [p["plan_id"] for p in listed] == [plan["plan_id"]]


def test_progress_only_forward_and_within_quantity(erp):
    item = product(erp)
    plan = data_of(erp.post("erp", "/api/production/plans", json=plan_body(product_id=item["product_id"])), 201)
    data_of(progress(erp, plan["plan_id"], completed_quantity=40, current_stage="加工生产"))
    error = assert_error(progress(erp, plan["plan_id"], completed_quantity=39), 400, "INVALID_INPUT", "completed_quantity")
    assert "40" in error["message"]
    assert_error(progress(erp, plan["plan_id"], completed_quantity=101), 400, "INVALID_INPUT", "completed_quantity")
    assert_error(progress(erp, plan["plan_id"], completed_quantity=-1), 400, "INVALID_INPUT", "completed_quantity")
    # The same figure with a new stage is fine.
    same = data_of(progress(erp, plan["plan_id"], completed_quantity=40, current_stage="质检"))
    assert (same["completed_quantity"], same["current_stage"]) == (40, "质检")
    assert stock_rows(erp, item["product_id"]) == {}


def test_completion_puts_output_into_stock_once(erp):
    item = product(erp)
    plan = data_of(erp.post("erp", "/api/production/plans", json=plan_body(
        product_id=item["product_id"], quantity=30, warehouse="成品仓")), 201)
    data_of(progress(erp, plan["plan_id"], completed_quantity=10))
    done = data_of(progress(erp, plan["plan_id"], completed_quantity=30, current_stage="完工"))
    assert done["status"] == "completed" and done["completed_at"].endswith("Z")
    assert stock_rows(erp, item["product_id"]) == {"成品仓": 30}
    for quantity in (30, 29):
        assert_error(progress(erp, plan["plan_id"], completed_quantity=quantity), 400, "INVALID_INPUT", "completed_quantity")
    assert stock_rows(erp, item["product_id"]) == {"成品仓": 30}
    assert ledger_total(erp, item["product_id"]) == 30
    assert data_of(erp.get("erp", f"/api/production/plans/{plan['plan_id']}"))["status"] == "completed"


def test_plan_validation_and_ownership(app, client, erp):
    item = product(erp, name="同名")
    product(erp, name="同名")
    for field, body in (
        ("end_date", plan_body(product_id=item["product_id"], start_date="2025-11-15", end_date="2025-11-08")),
        ("product", plan_body()),
        ("product", plan_body(product="同名")),
        ("product", plan_body(product="没有的产品")),
        ("product_id", plan_body(product_id=987654321)),
        ("order_id", plan_body(product_id=item["product_id"], order_id=987654321)),
        ("quantity", plan_body(product_id=item["product_id"], quantity=0)),
        ("start_date", plan_body(product_id=item["product_id"], start_date="2025-13-01")),
    ):
        assert_error(erp.post("erp", "/api/production/plans", json=body), 400, "INVALID_INPUT", field)
    # A SKU names the product too.
    plan = data_of(erp.post("erp", "/api/production/plans", json=plan_body(product=item["sku"])), 201)
    assert plan["product_id"] == item["product_id"]
    other = erp_caller(app, client)
    assert_error(other.get("erp", f"/api/production/plans/{plan['plan_id']}"), 404, "RESOURCE_NOT_FOUND")
    assert_error(progress(other, plan["plan_id"], completed_quantity=100), 404, "RESOURCE_NOT_FOUND")
    assert_error(other.post("erp", "/api/production/plans", json=plan_body(product_id=item["product_id"])),
                 400, "INVALID_INPUT", "product_id")
    assert data_of(other.get("erp", "/api/production/plans")) == []
    assert stock_rows(erp, item["product_id"]) == {}


def test_concurrent_completions_put_the_output_in_once(app, erp):
    item = product(erp)
    plan = data_of(erp.post("erp", "/api/production/plans", json=plan_body(product_id=item["product_id"], quantity=12)), 201)
    barrier = threading.Barrier(10)
    statuses: list[int] = []
    lock = threading.Lock()

    def complete():
        caller = AIStackClient(app.test_client(), erp.token)
        barrier.wait()
        resp = progress(caller, plan["plan_id"], completed_quantity=12)
        with lock:
            statuses.append(resp.status_code)

    threads = [threading.Thread(target=complete) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(statuses) == {200: 1, 400: 9}
    assert stock_rows(erp, item["product_id"]) == {"主仓库": 12}
    assert ledger_total(erp, item["product_id"]) == 12
