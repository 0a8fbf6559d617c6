"""ERP customers: create, list (level filter, sort, pages), get, update, delete refused while an
order is open; phone and email validated; another account's customers are not found."""

import pytest

from .client import assert_error, data_of
from .erp_support import customer, erp_caller, move, order, product, stock_in


@pytest.fixture
def erp(app, client):
    return erp_caller(app, client)


def test_create_and_list_on_both_addresses(aistack):
    created = data_of(aistack.post("erp", "/api/customers", json={
        "name": "客户名称", "contact": "联系人", "phone": "13800138000", "email": "customer@example.com",
        "address": "详细地址", "level": "VIP"}), 201)
    assert isinstance(created["customer_id"], int) and created["name"] == "客户名称"
    assert created["created_at"].endswith("Z")
    resp = aistack.get("erp", "/api/customers?page=1&page_size=20&level=VIP")
    assert [c["customer_id"] for c in data_of(resp)] == [created["customer_id"]]
    assert resp.json["pagination"] == {"page": 1, "page_size": 20, "total_items": 1, "total_pages": 1}


def test_level_filter_in_both_forms_sort_and_pages(erp):
    for name, level in (("乙", "VIP"), ("甲", "SVIP"), ("丙", "VIP"), ("丁", "normal")):
        customer(erp, name=name, level=level)
    plain = data_of(erp.get("erp", "/api/customers?level=VIP&sort=name&order=asc"))
    bracket = data_of(erp.get("erp", "/api/customers?filter[level]=VIP&sort=name&order=asc"))
    assert [c["name"] for c in plain] == [c["name"] for c in bracket] == sorted(["乙", "丙"])
    resp = erp.get("erp", "/api/customers?page=2&page_size=3&sort=customer_id&order=asc")
    assert len(data_of(resp)) == 1 and resp.json["pagination"]["total_items"] == 4
    assert resp.json["pagination"]["total_pages"] == 2
    assert_error(erp.get("erp", "/api/customers?level=GOLD"), 400, "INVALID_INPUT", "level")
    assert_error(erp.get("erp", "/api/customers?sort=phone"), 400, "INVALID_INPUT", "sort")


def test_phone_and_email_validated(erp):
    # Mainland mobiles (optionally +86) and landlines with their area code; empty: none given.
    for phone in ("13800138000", "+8613912345678", "010-12345678", "0755-1234567", "02112345678", ""):
        assert customer(erp, phone=phone)["phone"] == phone
    for field, value in (("phone", "12345"), ("phone", "12800138000"), ("phone", "138001380001"),
                         ("phone", "010-123"), ("email", "not-an-email"), ("email", "a@b"), ("name", ""),
                         ("name", "   "), ("level", "GOLD")):
        body = {"name": "客户", "phone": "13800138000", "email": "a@example.com"} | {field: value}
        assert_error(erp.post("erp", "/api/customers", json=body), 400, "INVALID_INPUT", field)
    assert_error(erp.post("erp", "/api/customers", json={"phone": "13800138000"}), 400, "INVALID_INPUT", "name")


def test_get_update_delete(erp):
    created = customer(erp)
    path = f"/api/customers/{created['customer_id']}"
    updated = data_of(erp.put("erp", path, json={"level": "SVIP", "notes": "重要客户"}))
    assert (updated["level"], updated["notes"], updated["name"]) == ("SVIP", "重要客户", "华东贸易")
    assert_error(erp.put("erp", path, json={"email": "bad"}), 400, "INVALID_INPUT", "email")
    assert data_of(erp.get("erp", path))["level"] == "SVIP"
    assert data_of(erp.delete("erp", path))["deleted"] is True
    assert_error(erp.get("erp", path), 404, "RESOURCE_NOT_FOUND")
    assert data_of(erp.get("erp", "/api/customers")) == []


def test_delete_refused_while_an_order_is_open(erp):
    buyer = customer(erp)
    item = product(erp)
    stock_in(erp, item["product_id"], 5)
    placed = order(erp, buyer["customer_id"], [{"product_id": item["product_id"], "quantity": 1}])
    path = f"/api/customers/{buyer['customer_id']}"
    for status in ("processing", "shipped"):
        error = assert_error(erp.delete("erp", path), 400, "INVALID_INPUT", "customer_id")
        assert "未完成的订单" in error["message"]
        data_of(move(erp, placed["order_id"], status))
    assert_error(erp.delete("erp", path), 400, "INVALID_INPUT", "customer_id")
    data_of(move(erp, placed["order_id"], "delivered"))
    data_of(erp.delete("erp", path))
    # The delivered order keeps its customer.
    assert data_of(erp.get("erp", f"/api/orders/{placed['order_id']}"))["customer_id"] == buyer["customer_id"]


def test_another_accounts_customer_is_not_found(app, client, erp):
    mine = customer(erp)
    other = erp_caller(app, client)
    path = f"/api/customers/{mine['customer_id']}"
    assert_error(other.get("erp", path), 404, "RESOURCE_NOT_FOUND")
    assert_error(other.put("erp", path, json={"level": "normal"}), 404, "RESOURCE_NOT_FOUND")
    assert_error(other.delete("erp", path), 404, "RESOURCE_NOT_FOUND")
    assert data_of(other.get("erp", "/api/customers")) == []
    assert data_of(erp.get("erp", path))["level"] == "VIP"
