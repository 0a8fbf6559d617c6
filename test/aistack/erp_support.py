"""Building the ERP's records through its API, for the test_erp_* modules."""

import json
import uuid
from decimal import Decimal

from flask import Flask
from flask.testing import FlaskClient

from test.conftest import create_member

from .client import AIStackClient, data_of, issue_token


def erp_caller(app: Flask, client: FlaskClient, via: str = "prefix") -> AIStackClient:
    """A fresh account signed in to AI Stack (a budget of its own under the rate limit)."""
    member = create_member(app, client, name="ERP")
    caller = AIStackClient(client, issue_token(client, member.email, member.password), via)
    caller.member = member
    return caller


def exact(resp) -> dict:
    """The body with every JSON number read as a Decimal, as its text was written."""
    return json.loads(resp.data, parse_float=Decimal)


def customer(erp: AIStackClient, **fields) -> dict:
    body = {"name": "华东贸易", "contact": "张三", "phone": "13800138000", "email": "buyer@example.com",
            "address": "上海市浦东新区", "level": "VIP"} | fields
    return data_of(erp.post("erp", "/api/customers", json=body), 201)


def product(erp: AIStackClient, **fields) -> dict:
    body = {"sku": f"SKU-{uuid.uuid4().hex[:8]}", "name": "齿轮", "unit": "件", "price": 99.99, "cost": 60} | fields
    return data_of(erp.post("erp", "/api/products", json=body), 201)


def stock_in(erp: AIStackClient, product_id: int, quantity: int, **fields) -> dict:
    body = {"product_id": product_id, "quantity": quantity, "batch_number": "BATCH20251107"} | fields
    return data_of(erp.post("erp", "/api/inventory/stock-in", json=body), 201)


def order(erp: AIStackClient, customer_id: int, items: list[dict], **fields) -> dict:
    body = {"customer_id": customer_id, "items": items, "delivery_date": "2025-11-15", "notes": "备注"} | fields
    return data_of(erp.post("erp", "/api/orders", json=body), 201)


def move(erp: AIStackClient, order_id: int, status: str, **fields):
    return erp.put("erp", f"/api/orders/{order_id}/status", json={"status": status} | fields)


def stock_rows(erp: AIStackClient, product_id: int) -> dict[str, int]:
    """Warehouse → quantity of a product, from the inventory summary."""
    rows = data_of(erp.get("erp", f"/api/inventory/summary?filter[product_id]={product_id}&page_size=100"))
    return {row["warehouse"]: row["quantity"] for row in rows}


def ledger_total(erp: AIStackClient, product_id: int) -> int:
    rows = data_of(erp.get("erp", f"/api/inventory/movements?filter[product_id]={product_id}&page_size=100"))
    return sum(row["change"] for row in rows)
