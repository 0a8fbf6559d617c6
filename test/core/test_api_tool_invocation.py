"""Custom API tools called end to end: created through the API, built by the service as LangChain
tools, invoked against a local server that checks where every argument arrived."""

import json
import uuid
from http.cookies import SimpleCookie

import pytest
from langchain_core.messages import ToolMessage

from internal.exception import NotFoundException
from internal.service.api_tool_service import ApiToolService
from test.api.test_api_tools import create_provider
from test.fakes.http_server import RecordedRequest, Reply
from test.fakes.scripted_server import ScriptedServer

PROVIDER_HEADERS = [{"key": "Authorization", "value": "Bearer provider-secret"}, {"key": "X-Tenant", "value": "acme"}]


def echo(request: RecordedRequest) -> Reply:
    if request.path == "/v1/fail":
        return Reply(502, "upstream exploded")
    if request.path == "/v1/big":
        return Reply(200, "z" * 10_000)
    return Reply(200, {"method": request.method, "path": request.path})


@pytest.fixture
def api_server():
    server = ScriptedServer(echo).start()
    yield server
    server.stop()


def schema(server_url: str) -> str:
    return json.dumps(
        {
            "description": "订单与用户接口",
            "server": server_url + "/v1",
            "paths": {
                "/users/{user_id}/orders/{order_no}": {
                    "get": {
                        "description": "查询用户的订单",
                        "operationId": "GetOrder",
                        "parameters": [
                            {"name": "user_id", "in": "path", "description": "用户id", "type": "int"},
                            {"name": "order_no", "in": "path", "description": "订单号", "type": "str"},
                            {"name": "status", "in": "query", "description": "订单状态", "type": "str"},
                            {"name": "verbose", "in": "query", "description": "是否详细", "required": False, "type": "bool"},
                            {"name": "limit", "in": "query", "description": "条数", "required": False, "type": "int"},
                            {"name": "X-Trace-Id", "in": "header", "description": "追踪id", "type": "str"},
                            {"name": "Authorization", "in": "header", "description": "模型可以乱填", "required": False, "type": "str"},
                            {"name": "session", "in": "cookie", "description": "会话", "type": "str"},
                        ],
                    }
                },
                "/orders": {
                    "post": {
                        "description": "创建订单",
                        "operationId": "CreateOrder",
                        "parameters": [
                            {"name": "item", "in": "request_body", "description": "商品", "type": "str"},
                            {"name": "quantity", "in": "request_body", "description": "数量", "type": "int"},
                            {"name": "price", "in": "request_body", "description": "单价", "type": "float"},
                            {"name": "gift", "in": "request_body", "description": "是否礼品", "type": "bool"},
                            {"name": "note", "in": "request_body", "description": "备注", "required": False, "type": "str"},
                            {"name": "dry_run", "in": "query", "description": "试运行", "required": False, "type": "bool"},
                        ],
                    }
                },
                "/fail": {"get": {"description": "总是失败", "operationId": "AlwaysFails", "parameters": []}},
                "/big": {"get": {"description": "很长的响应", "operationId": "HugeAnswer", "parameters": []}},
            },
        }
    )


def build_tool(app, account_id, provider_id, tool_name):
    with app.app_context():
        return app.extensions["injector"].get(ApiToolService).build_langchain_tool(account_id, uuid.UUID(provider_id), tool_name)


@pytest.fixture
def provider_id(client, member, api_server):
    return create_provider(client, member, "订单接口", openapi_schema=schema(api_server.url), headers=PROVIDER_HEADERS)


def test_get_operation_places_path_query_header_and_cookie_arguments(app, member, api_server, provider_id):
    tool = build_tool(app, member.id, provider_id, "GetOrder")  # used after the app context is gone

    result = tool.invoke(
        {
            "user_id": 42,
            "order_no": "A 1/2?#",
            "status": "已支付",
            "verbose": True,
            "X_Trace_Id": "trace-7",
            "Authorization": "Bearer from-the-model",
            "session": "s=1; x",
        }
    )

    assert json.loads(result) == {"method": "GET", "path": "/v1/users/42/orders/A%201%2F2%3F%23"}
    [received] = api_server.requests
    assert received.query == {"status": ["已支付"], "verbose": ["true"]}  # the optional `limit` was left out
    assert received.headers["x-trace-id"] == "trace-7"
    assert received.headers["authorization"] == "Bearer provider-secret"  # the provider's header wins
    assert received.headers["x-tenant"] == "acme"
    cookie = SimpleCookie(received.headers["cookie"])
    assert list(cookie) == ["session"] and cookie["session"].value == "s=1%3B%20x"


def test_post_operation_sends_request_body_arguments_as_typed_json(app, member, api_server, provider_id):
    tool = build_tool(app, member.id, provider_id, "CreateOrder")

    result = tool.invoke({"item": "茶叶", "quantity": "3", "price": 12.5, "gift": False, "dry_run": False})

    assert json.loads(result) == {"method": "POST", "path": "/v1/orders"}
    [received] = api_server.requests
    assert received.json() == {"item": "茶叶", "quantity": 3, "price": 12.5, "gift": False}
    assert received.headers["content-type"] == "application/json"
    assert received.query == {"dry_run": ["false"]}
    assert received.headers["authorization"] == "Bearer provider-secret"


def test_argument_schema_follows_the_declared_parameters(app, member, provider_id):
    tool = build_tool(app, member.id, provider_id, "CreateOrder")
    schema_ = tool.tool_call_schema.model_json_schema()

    assert tool.name == "CreateOrder" and tool.description == "创建订单"
    properties = schema_["properties"]
    assert {name: prop.get("type") or prop["anyOf"][0]["type"] for name, prop in properties.items()} == {
        "item": "string",
        "quantity": "integer",
        "price": "number",
        "gift": "boolean",
        "note": "string",
        "dry_run": "boolean",
    }
    assert sorted(schema_["required"]) == ["gift", "item", "price", "quantity"]
    assert properties["price"]["description"] == "单价"


def test_http_errors_come_back_as_a_readable_tool_error(app, member, provider_id):
    tool = build_tool(app, member.id, provider_id, "AlwaysFails")

    assert tool.invoke({}) == "AlwaysFails request failed: HTTP 502 upstream exploded"
    message = tool.invoke({"type": "tool_call", "id": "call-1", "name": "AlwaysFails", "args": {}})
    assert isinstance(message, ToolMessage) and message.status == "error"


def test_invalid_arguments_come_back_as_a_readable_tool_error(app, member, api_server, provider_id):
    tool = build_tool(app, member.id, provider_id, "CreateOrder")
    result = tool.invoke({"item": "茶叶", "quantity": "many", "price": 1.0})
    assert result.startswith("Invalid arguments:") and "quantity" in result and "gift" in result
    assert api_server.requests == []


def test_long_responses_are_cut_to_the_configured_size(app, member, provider_id):
    tool = build_tool(app, member.id, provider_id, "HugeAnswer")
    limit = app.extensions["injector"].get(ApiToolService).settings.outbound.api_tool_max_response_chars

    result = tool.invoke({})
    assert result == "z" * limit + "\n…(truncated)"


@pytest.mark.parametrize("host", ["127.0.0.2", "::1"])
def test_an_api_tool_cannot_reach_other_loopback_addresses(app, client, member, host):
    target = ScriptedServer(echo, host=host).start()
    try:
        provider_id = create_provider(client, member, "内网探测", openapi_schema=schema(target.url), headers=[])
        tool = build_tool(app, member.id, provider_id, "AlwaysFails")

        result = tool.invoke({})
        assert result.startswith("AlwaysFails request failed: refused") and "loopback address" in result
        assert target.requests == []
    finally:
        target.stop()


def test_tools_are_built_only_for_the_owner_and_only_while_they_exist(app, client, member, other_member, provider_id):
    with pytest.raises(NotFoundException):
        build_tool(app, other_member.id, provider_id, "GetOrder")
    with pytest.raises(NotFoundException):
        build_tool(app, member.id, provider_id, "NoSuchTool")

    client.post(f"/api-tools/{provider_id}/delete", headers=member.headers)
    with pytest.raises(NotFoundException):
        build_tool(app, member.id, provider_id, "GetOrder")
