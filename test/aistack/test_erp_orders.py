"""ERP products and orders: Decimal totals, the status machine with its history, shipping that
takes stock (refused when short), cancellation only before shipping, and ownership."""

import threading
from collections import Counter
from decimal import Decimal

import pytest

from .client import AIStackClient, assert_error, data_of
from .erp_support import customer, erp_caller, exact, move, order, product, stock_in, stock_rows


@pytest.fixture
def erp(app, client):
    return erp_caller(app, client)


def test_products_on_both_addresses(aistack):
    created = data_of(aistack.post("erp", "/api/products", json={
        "sku": "GEAR-01", "name": "齿轮", "unit": "件", "price": 99.99, "cost": 60.5}), 201)
    assert (created["price"], created["cost"], created["unit"]) == (99.99, 60.5, "件")
    path = f"/api/products/{created['product_id']}"
    assert data_of(aistack.put("erp", path, json={"price": 109.9, "low_stock_threshold": 3}))["price"] == 109.9
    assert data_of(aistack.get("erp", path))["low_stock_threshold"] == 3
    assert [p["sku"] for p in data_of(aistack.get("erp", "/api/products?filter[sku]=GEAR-01"))] == ["GEAR-01"]


def test_product_rules(app, client, erp):
    first = product(erp, sku="SKU-A", price=10)
    product(erp, sku="SKU-B", price=5)
    assert_error(erp.post("erp", "/api/products", json={"sku": "SKU-A", "name": "x", "price": 1, "cost": 1}),
                 400, "INVALID_INPUT", "sku")
    assert_error(erp.put("erp", f"/api/products/{first['product_id']}", json={"sku": "SKU-B"}), 400, "INVALID_INPUT", "sku")
    for field, value in (("price", -1), ("price", 0.001), ("cost", "abc"), ("sku", ""), ("name", " ")):
        body = {"sku": "SKU-C", "name": "x", "price": 1, "cost": 1} | {field: value}
        assert_error(erp.post("erp", "/api/products", json=body), 400, "INVALID_INPUT", field)
    assert [p["sku"] for p in data_of(erp.get("erp", "/api/products?sort=price&order=asc"))] == ["SKU-B", "SKU-A"]
    # Another account may use the same SKU, and does not see this account's products.
    other = erp_caller(app, client)
    product(other, sku="SKU-A")
    assert_error(other.get("erp", f"/api/products/{first['product_id']}"), 404, "RESOURCE_NOT_FOUND")
    assert_error(other.put("erp", f"/api/products/{first['product_id']}", json={"price": 1}), 404, "RESOURCE_NOT_FOUND")


def test_order_total_of_point_one_and_point_two_is_exact(erp):
    buyer = customer(erp)
    a, b = product(erp, price=0.1, cost=0.05), product(erp, price=0.2, cost=0.1)
    resp = erp.post("erp", "/api/orders", json={"customer_id": buyer["customer_id"], "items": [
        {"product_id": a["product_id"], "quantity": 1, "unit_price": 0.1},
        {"product_id": b["product_id"], "quantity": 1}]})
    assert resp.status_code == 201
    body = exact(resp)["data"]
    assert body["total_amount"] == Decimal("0.3") and body["total_cost"] == Decimal("0.15")
    assert b'"total_amount":0.3' in resp.data.replace(b" ", b"")
    # Many small amounts add up exactly too: 3 × 0.1 + 7 × 0.2 = 1.7, 10 × 33.33 = 333.3.
    many = order(erp, buyer["customer_id"], [
        {"product_id": a["product_id"], "quantity": 3}, {"product_id": b["product_id"], "quantity": 7},
        {"product_id": a["product_id"], "quantity": 10, "unit_price": 33.33}])
    assert [i["line_total"] for i in many["items"]] == [0.3, 1.4, 333.3]
    assert exact(erp.get("erp", f"/api/orders/{many['order_id']}"))["data"]["total_amount"] == Decimal("335")
    # Beyond 15 significant digits an amount is written as a decimal string, never rounded.
    dear = product(erp, price=9999999999.99, cost=1)
    big = order(erp, buyer["customer_id"], [{"product_id": dear["product_id"], "quantity": 123457}])
    assert (big["total_amount"], big["total_cost"]) == ("1234569999998765.43", 123457)
    assert_error(erp.post("erp", "/api/orders", json={"customer_id": buyer["customer_id"], "items": [
        {"product_id": dear["product_id"], "quantity": 1000000}] * 2}), 400, "INVALID_INPUT", "items")


def test_order_validation(erp):
    buyer = customer(erp)
    item = product(erp)
    good = {"customer_id": buyer["customer_id"], "items": [{"product_id": item["product_id"], "quantity": 1}]}
    for field, body in (
        ("items", good | {"items": []}),
        ("items[0].quantity", good | {"items": [{"product_id": item["product_id"], "quantity": 0}]}),
        ("items[0].quantity", good | {"items": [{"product_id": item["product_id"], "quantity": 1.5}]}),
        ("items[0].unit_price", good | {"items": [{"product_id": item["product_id"], "quantity": 1, "unit_price": 9.999}]}),
        ("items[0].product_id", good | {"items": [{"product_id": 987654321, "quantity": 1}]}),
        ("customer_id", good | {"customer_id": 987654321}),
        ("delivery_date", good | {"delivery_date": "soon"}),
    ):
        assert_error(erp.post("erp", "/api/orders", json=body), 400, "INVALID_INPUT", field)
    assert_error(move(erp, 987654321, "processing"), 404, "RESOURCE_NOT_FOUND")
    placed = order(erp, buyer["customer_id"], good["items"])
    assert_error(move(erp, placed["order_id"], "lost"), 400, "INVALID_INPUT", "status")


def test_status_machine_with_history_and_shipping_taking_stock(aistack):
    buyer = customer(aistack)
    item = product(aistack)
    stock_in(aistack, item["product_id"], 10)
    placed = order(aistack, buyer["customer_id"], [{"product_id": item["product_id"], "quantity": 4},
                                                   {"product_id": item["product_id"], "quantity": 2}])
    assert placed["status"] == "pending"
    error = assert_error(move(aistack, placed["order_id"], "shipped"), 400, "INVALID_INPUT")
    assert error["details"] == {"from": "pending", "to": "shipped"}
    assert "pending" in error["message"] and "shipped" in error["message"]
    data_of(move(aistack, placed["order_id"], "processing", note="备料"))
    shipped = data_of(move(aistack, placed["order_id"], "shipped"))
    assert shipped["shipped_at"].endswith("Z") and shipped["warehouse"] == "主仓库"
    assert stock_rows(aistack, item["product_id"]) == {"主仓库": 4}
    error = assert_error(move(aistack, placed["order_id"], "cancelled"), 400, "INVALID_INPUT")
    assert error["details"] == {"from": "shipped", "to": "cancelled"}
    delivered = data_of(move(aistack, placed["order_id"], "delivered"))
    assert [(h["from_status"], h["to_status"]) for h in delivered["history"]] == [
        (None, "pending"), ("pending", "processing"), ("processing", "shipped"), ("shipped", "delivered")]
    assert delivered["history"][1]["note"] == "备料"
    for status in ("pending", "processing", "shipped", "delivered", "cancelled"):
        assert_error(move(aistack, placed["order_id"], status), 400, "INVALID_INPUT")
    assert stock_rows(aistack, item["product_id"]) == {"主仓库": 4}


def test_shipping_refused_when_stock_is_short_changes_nothing(erp):
    buyer = customer(erp)
    a, b = product(erp), product(erp)
    stock_in(erp, a["product_id"], 10)
    stock_in(erp, b["product_id"], 2)
    placed = order(erp, buyer["customer_id"], [{"product_id": a["product_id"], "quantity": 5},
                                               {"product_id": b["product_id"], "quantity": 3}])
    data_of(move(erp, placed["order_id"], "processing"))
    error = assert_error(move(erp, placed["order_id"], "shipped"), 400, "INVALID_INPUT")
    assert error["details"]["product_id"] == b["product_id"] and error["details"]["available"] == 2
    # Neither product's stock moved and the order is still processing.
    assert stock_rows(erp, a["product_id"]) == {"主仓库": 10}
    assert stock_rows(erp, b["product_id"]) == {"主仓库": 2}
    assert data_of(erp.get("erp", f"/api/orders/{placed['order_id']}"))["status"] == "processing"
    # From another warehouse that holds enough, it ships.
    stock_in(erp, a["product_id"], 5, warehouse="二号仓")
    stock_in(erp, b["product_id"], 3, warehouse="二号仓")
    assert data_of(move(erp, placed["order_id"], "shipped", warehouse="二号仓"))["status"] == "shipped"
    assert stock_rows(erp, b["product_id"]) == {"主仓库": 2, "二号仓": 0}


def test_cancellation_only_before_shipping_and_takes_nothing(erp):
    buyer = customer(erp)
    item = product(erp)
    stock_in(erp, item["product_id"], 3)
    first = order(erp, buyer["customer_id"], [{"product_id": item["product_id"], "quantity": 1}])
    second = order(erp, buyer["customer_id"], [{"product_id": item["product_id"], "quantity": 1}])
    assert data_of(move(erp, first["order_id"], "cancelled"))["status"] == "cancelled"
    data_of(move(erp, second["order_id"], "processing"))
    assert data_of(move(erp, second["order_id"], "cancelled"))["status"] == "cancelled"
    assert_error(move(erp, first["order_id"], "processing"), 400, "INVALID_INPUT")
    assert stock_rows(erp, item["product_id"]) == {"主仓库": 3}
    listed = erp.get("erp", "/api/orders?status=cancelled&sort=order_id&order=asc")
    assert [o["order_id"] for o in data_of(listed)] == [first["order_id"], second["order_id"]]
    assert data_of(erp.get("erp", "/api/orders?filter[status]=pending")) == []


def test_another_accounts_order_is_not_found(app, client, erp):
    buyer = customer(erp)
    item = product(erp)
    placed = order(erp, buyer["customer_id"], [{"product_id": item["product_id"], "quantity": 1}])
    other = erp_caller(app, client)
    assert_error(other.get("erp", f"/api/orders/{placed['order_id']}"), 404, "RESOURCE_NOT_FOUND")
    assert_error(move(other, placed["order_id"], "cancelled"), 404, "RESOURCE_NOT_FOUND")
    assert data_of(other.get("erp", "/api/orders")) == []
    # Another account cannot order for this account's customer or product.
    own = customer(other)
    assert_error(other.post("erp", "/api/orders", json={"customer_id": buyer["customer_id"], "items": [
        {"product_id": product(other)["product_id"], "quantity": 1}]}), 400, "INVALID_INPUT", "customer_id")
    assert_error(other.post("erp", "/api/orders", json={"customer_id": own["customer_id"], "items": [
        {"product_id": item["product_id"], "quantity": 1}]}), 400, "INVALID_INPUT", "items[0].product_id")
    assert data_of(erp.get("erp", f"/api/orders/{placed['order_id']}"))["status"] == "pending"


def _at_once(app, token: str, calls) -> list[int]:
    """Runs each (order_id, status) move from a client of its own, all released together."""
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = []
    lock = threading.Lock()

    def run(order_id: int, status: str):
        caller = AIStackClient(app.test_client(), token)
        barrier.wait()
        resp = move(caller, order_id, status)
        with lock:
            statuses.append(resp.status_code)

    threads = [threading.Thread(target=run, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_concurrent_shipping_takes_stock_once(app, erp):
    buyer = customer(erp)
    item = product(erp)
    stock_in(erp, item["product_id"], 5)
    first, second = (order(erp, buyer["customer_id"], [{"product_id": item["product_id"], "quantity": 3}]) for _ in range(2))
    for placed in (first, second):
        data_of(move(erp, placed["order_id"], "processing"))
    # The same order shipped six times at once, and a second order competing for the stock.
    statuses = _at_once(app, erp.token, [(first["order_id"], "shipped")] * 6 + [(second["order_id"], "shipped")] * 2)
    assert Counter(statuses) == {200: 1, 400: 7}
    assert stock_rows(erp, item["product_id"]) == {"主仓库": 2}
    shipments = data_of(erp.get("erp", "/api/inventory/movements?filter[kind]=shipment"))
    assert len(shipments) == 1 and shipments[0]["change"] == -3
    shipped = [o for o in (first, second)
               if data_of(erp.get("erp", f"/api/orders/{o['order_id']}"))["status"] == "shipped"]
    assert [s["order_id"] for s in shipped] == [shipments[0]["order_id"]]
