"""Building blocks for the app tests: apps, drafts, tools and datasets made through the API."""

import uuid

from test.api.assertions import success_data
from test.api.test_api_tools import create_provider, get_tool

ICON = "https://cdn.example.com/app.png"
DATASET_ICON = "https://cdn.example.com/dataset.png"


def create_app(client, member, name: str = "LLM应用产品经理", **fields) -> str:
    body = {"name": name, "icon": ICON, "description": "一个能帮你解答关于LLM应用产品开发的Agent智能体。", **fields}
    resp = client.post("/apps", json=body, headers=member.headers)
    return success_data(resp, message="创建Agent应用成功")["id"]


def get_app(client, member, app_id) -> dict:
    resp = client.get(f"/apps/{app_id}", headers=member.headers)
    return success_data(resp)


def get_draft(client, member, app_id) -> dict:
    resp = client.get(f"/apps/{app_id}/draft-app-config", headers=member.headers)
    return success_data(resp)


def update_draft(client, member, app_id, body: dict):
    return client.post(f"/apps/{app_id}/draft-app-config", json=body, headers=member.headers)


def assert_updated(resp):
    assert resp.json == {"code": "success", "data": {}, "message": "更新AI应用配置成功"}, resp.json


def list_apps(client, member, **query) -> list[dict]:
    resp = client.get("/apps", query_string=query, headers=member.headers)
    return success_data(resp)["list"]


def listed_app(client, member, app_id) -> dict:
    return next(item for item in list_apps(client, member, page_size=50) if item["id"] == app_id)


def publish(client, member, app_id):
    resp = client.post(f"/apps/{app_id}/publish", headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "发布/更新应用配置信息成功"}, resp.json


def web_app(client, member, app_id) -> dict:
    resp = client.get(f"/apps/{app_id}/published-config", headers=member.headers)
    return success_data(resp)["web_app"]


def histories(client, member, app_id, **query) -> dict:
    resp = client.get(f"/apps/{app_id}/publish-histories", query_string=query, headers=member.headers)
    return success_data(resp)


def create_api_tool(client, member, name: str | None = None) -> tuple[str, str]:
    """An API tool provider made through the API; returns its id and its weather tool's id."""
    provider_id = create_provider(client, member, name or f"工具-{uuid.uuid4().hex[:8]}")
    tool = get_tool(client, member, provider_id, "GetCurrentWeather").json["data"]
    return provider_id, tool["id"]


def api_tool_ref(provider_id: str, tool_id: str) -> dict:
    return {"type": "api_tool", "provider_id": provider_id, "tool_id": tool_id, "params": {}}


def builtin_tool_ref(provider: str, tool: str, **params) -> dict:
    return {"type": "builtin_tool", "provider_id": provider, "tool_id": tool, "params": params}


def create_dataset(client, member, name: str | None = None) -> str:
    """A dataset made through the API; returns its id (the create response carries none)."""
    name = name or f"知识库-{uuid.uuid4().hex[:8]}"
    resp = client.post("/datasets", json={"name": name, "icon": DATASET_ICON, "description": "资料"}, headers=member.headers)
    assert resp.json["code"] == "success", resp.json
    listed = client.get("/datasets", query_string={"search_word": name}, headers=member.headers).json["data"]["list"]
    return next(item["id"] for item in listed if item["name"] == name)


def delete_dataset(client, member, dataset_id: str) -> None:
    resp = client.post(f"/datasets/{dataset_id}/delete", headers=member.headers)
    assert resp.json["code"] == "success", resp.json
    assert client.get(f"/datasets/{dataset_id}", headers=member.headers).json["code"] == "not_found"
