"""llmops-api.md §2.5, §2.7-2.12 custom API tool providers, and the project's OpenAPI-schema convention (appendix 01)."""

import copy
import json

import pytest

from test.api.assertions import assert_envelope, assert_validate_error
from test.conftest import create_member

ICON = "https://cdn.example.com/gaode.png"
WEATHER_SCHEMA = {
    "description": "查询ip所在地、天气预报、路线规划等高德工具包",
    "server": "https://gaode.example.com",
    "paths": {
        "/weather": {
            "get": {
                "description": "根据传递的城市名获取指定城市的天气预报，例如：广州",
                "operationId": "GetCurrentWeather",
                "parameters": [
                    {"name": "location", "in": "query", "description": "需要查询天气预报的城市名", "type": "str"},
                    {"name": "days", "in": "query", "description": "预报天数", "required": False, "type": "int"},
                ],
            }
        },
        "/ip": {
            "post": {
                "description": "根据传递的ip查询ip归属地",
                "operationId": "GetCurrentIp",
                "parameters": [
                    {"name": "ip", "in": "request_body", "description": "标准ip地址", "required": True, "type": "str"}
                ],
            }
        },
    },
}
HEADERS = [{"key": "Authorization", "value": "Bearer QQYnRFerJTSEcrfB89fw8prOaObmrch8"}]


def schema_text(schema: dict = WEATHER_SCHEMA) -> str:
    return json.dumps(schema, ensure_ascii=False)


def provider_body(name: str = "高德工具包", **fields) -> dict:
    return {"name": name, "icon": ICON, "openapi_schema": schema_text(), "headers": HEADERS, **fields}


def create_provider(client, member, name: str = "高德工具包", **fields) -> str:
    """Creates a provider through the API and returns its id (the create response carries none)."""
    resp = client.post("/api-tools", json=provider_body(name, **fields), headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "创建自定义API插件成功"}, resp.json
    listed = client.get("/api-tools", query_string={"search_word": name}, headers=member.headers).json["data"]["list"]
    return next(item["id"] for item in listed if item["name"] == name)


def get_provider(client, member, provider_id):
    return client.get(f"/api-tools/{provider_id}", headers=member.headers)


def get_tool(client, member, provider_id, tool_name):
    return client.get(f"/api-tools/{provider_id}/tools/{tool_name}", headers=member.headers)



# --- success paths ------------------------------------------------------------------------------


def test_created_provider_is_listed_with_its_tools_and_inputs(client, member):
    provider_id = create_provider(client, member)

    data = client.get("/api-tools", headers=member.headers).json["data"]
    assert data["paginator"] == {"current_page": 1, "page_size": 20, "total_page": 1, "total_record": 1}
    [item] = data["list"]
    assert set(item) == {"id", "name", "icon", "description", "tools", "headers", "created_at"}
    assert item["id"] == provider_id and item["name"] == "高德工具包" and item["icon"] == ICON
    assert item["description"] == WEATHER_SCHEMA["description"]  # the provider's description is the schema's
    assert item["headers"] == HEADERS
    assert isinstance(item["created_at"], int) and item["created_at"] > 0

    tools = {tool["name"]: tool for tool in item["tools"]}
    assert set(tools) == {"GetCurrentWeather", "GetCurrentIp"}
    weather = tools["GetCurrentWeather"]
    assert set(weather) == {"id", "description", "name", "inputs"}
    assert weather["description"] == "根据传递的城市名获取指定城市的天气预报，例如：广州"
    assert weather["inputs"] == [
        {"type": "str", "required": True, "name": "location", "description": "需要查询天气预报的城市名"},  # required defaults to true
        {"type": "int", "required": False, "name": "days", "description": "预报天数"},
    ]


def test_list_is_newest_first_paginated_and_searchable_by_name(client, member):
    for name in ("天气工具", "Weather Kit", "翻译工具"):
        create_provider(client, member, name)

    first = client.get("/api-tools", query_string={"page_size": 2}, headers=member.headers).json["data"]
    assert [item["name"] for item in first["list"]] == ["翻译工具", "Weather Kit"]
    assert first["paginator"] == {"current_page": 1, "page_size": 2, "total_page": 2, "total_record": 3}
    second = client.get("/api-tools", query_string={"page_size": 2, "current_page": 2}, headers=member.headers)
    assert [item["name"] for item in second.json["data"]["list"]] == ["天气工具"]

    def search(word):
        resp = client.get("/api-tools", query_string={"search_word": word}, headers=member.headers)
        return [item["name"] for item in resp.json["data"]["list"]]

    assert search("工具") == ["翻译工具", "天气工具"]
    assert search("weather") == ["Weather Kit"]  # case-insensitive
    assert search("%") == [] and search("_") == []  # wildcards are matched literally
    assert search("") == ["翻译工具", "Weather Kit", "天气工具"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 51}, "page_size"),
        ({"current_page": 0}, "current_page"),
        ({"search_word": "x" * 31}, "search_word"),
    ],
)
def test_list_query_constraints(client, member, query, field):
    assert_validate_error(client.get("/api-tools", query_string=query, headers=member.headers), field)


def test_page_size_bounds_are_accepted(client, member):
    for size in (1, 50):
        assert client.get("/api-tools", query_string={"page_size": size}, headers=member.headers).json["code"] == "success"


def test_provider_detail_returns_the_schema_string_as_submitted(client, member):
    provider_id = create_provider(client, member)

    resp = get_provider(client, member, provider_id)
    assert resp.json["code"] == "success"
    data = resp.json["data"]
    assert set(data) == {"id", "name", "icon", "description", "openapi_schema", "headers", "created_at"}
    assert data["id"] == provider_id and data["name"] == "高德工具包" and data["icon"] == ICON
    assert data["openapi_schema"] == schema_text() and data["headers"] == HEADERS
    assert data["description"] == WEATHER_SCHEMA["description"]


def test_tool_detail_has_inputs_and_its_provider(client, member):
    provider_id = create_provider(client, member)

    resp = get_tool(client, member, provider_id, "GetCurrentIp")
    assert resp.json["code"] == "success"
    data = resp.json["data"]
    assert set(data) == {"id", "name", "description", "inputs", "provider"}
    assert data["name"] == "GetCurrentIp" and data["description"] == "根据传递的ip查询ip归属地"
    assert data["inputs"] == [{"type": "str", "required": True, "name": "ip", "description": "标准ip地址"}]
    provider = data["provider"]
    assert set(provider) == {"id", "name", "icon", "description", "headers", "created_at"}
    assert provider["id"] == provider_id and provider["headers"] == HEADERS


def test_unknown_tool_name_is_not_found(client, member):
    provider_id = create_provider(client, member)
    resp = get_tool(client, member, provider_id, "GetCurrentName")
    assert resp.status_code == 404 and resp.json["code"] == "not_found"


def test_validate_endpoint_accepts_a_good_schema_and_stores_nothing(client, member):
    resp = client.post("/api-tools/validate-openapi-schema", json={"openapi_schema": schema_text()}, headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "openapi-schema数据格式无误"}
    assert client.get("/api-tools", headers=member.headers).json["data"]["paginator"]["total_record"] == 0


def test_validate_endpoint_does_not_check_name_uniqueness(client, member):
    create_provider(client, member)
    resp = client.post("/api-tools/validate-openapi-schema", json={"openapi_schema": schema_text()}, headers=member.headers)
    assert resp.json["code"] == "success"


def test_the_documented_example_schemas_are_valid(client, member):
    youdao = (
        '{"description":"这是一个查询对应英文单词字典的工具","server":"https://dict.youdao.com","paths":{"/suggest":{"get":'
        '{"description":"根据传递的单词查询其字典信息","operationId":"YoudaoSuggest","parameters":[{"name":"q","in":"query",'
        '"description":"要检索查询的单词，例如love/computer","required":true,"type":"str"},{"name":"doctype","in":"query",'
        '"description":"返回的数据类型，支持json和xml两种格式，默认情况下json数据","required":false,"type":"str"}]}}}}'
    )
    resp = client.post("/api-tools", json=provider_body("谷掌搜索", openapi_schema=youdao), headers=member.headers)
    assert resp.json["message"] == "创建自定义API插件成功"


def test_one_path_may_have_both_get_and_post(client, member):
    schema = copy.deepcopy(WEATHER_SCHEMA)
    schema["paths"]["/weather"]["post"] = {"description": "上报天气", "operationId": "ReportWeather", "parameters": []}
    provider_id = create_provider(client, member, openapi_schema=schema_text(schema))
    assert get_tool(client, member, provider_id, "ReportWeather").json["data"]["inputs"] == []


# --- request constraints -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 31}, "name"),
        ({"name": 5}, "name"),
        ({"icon": None}, "icon"),
        ({"icon": ""}, "icon"),
        ({"icon": "ftp://cdn.example.com/a.png"}, "icon"),
        ({"icon": "not a url"}, "icon"),
        ({"openapi_schema": None}, "openapi_schema"),
        ({"openapi_schema": ""}, "openapi_schema"),
        ({"openapi_schema": {"description": "an object, not a string"}}, "openapi_schema"),
        ({"headers": None}, "headers"),
        ({"headers": "Authorization: x"}, "headers"),
        ({"headers": [{"key": "Authorization"}]}, "headers[0].value"),
        ({"headers": [{"value": "x"}]}, "headers[0].key"),
        ({"headers": [{"key": "", "value": "x"}]}, "headers[0].key"),
        ({"headers": [{"key": "Bad Header", "value": "x"}]}, "headers[0].key"),
        ({"headers": [{"key": "X-Ok", "value": "a\r\nInjected: yes"}]}, "headers[0].value"),
    ],
)
def test_create_and_update_constraints_are_validate_errors_naming_the_field(client, member, change, field):
    body = provider_body()
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    assert_validate_error(client.post("/api-tools", json=body, headers=member.headers), field)

    provider_id = create_provider(client, member, "已存在的插件")
    assert_validate_error(client.post(f"/api-tools/{provider_id}", json=body, headers=member.headers), field)
    assert client.get("/api-tools", headers=member.headers).json["data"]["paginator"]["total_record"] == 1


def test_a_name_of_30_characters_is_accepted_and_whitespace_is_trimmed(client, member):
    provider_id = create_provider(client, member, "x" * 30)
    assert get_provider(client, member, provider_id).json["data"]["name"] == "x" * 30
    client.post("/api-tools", json=provider_body("  trimmed  "), headers=member.headers)
    names = [item["name"] for item in client.get("/api-tools", headers=member.headers).json["data"]["list"]]
    assert "trimmed" in names


def test_provider_names_are_unique_per_account(app, client, member, other_member):
    create_provider(client, member, "高德工具包")
    duplicate = client.post("/api-tools", json=provider_body("高德工具包"), headers=member.headers)
    assert_validate_error(duplicate, "name")
    assert "已存在" in duplicate.json["message"]
    assert client.get("/api-tools", headers=member.headers).json["data"]["paginator"]["total_record"] == 1

    create_provider(client, other_member, "高德工具包")  # another account may use the same name


def test_renaming_onto_another_providers_name_fails_but_keeping_its_own_name_works(client, member):
    create_provider(client, member, "第一个")
    second = create_provider(client, member, "第二个")

    resp = client.post(f"/api-tools/{second}", json=provider_body("第一个"), headers=member.headers)
    assert_validate_error(resp, "name")
    assert get_provider(client, member, second).json["data"]["name"] == "第二个"

    same_name = client.post(f"/api-tools/{second}", json=provider_body("第二个"), headers=member.headers)
    assert same_name.json == {"code": "success", "data": {}, "message": "更新自定义API插件成功"}


# --- malformed schemas ------------------------------------------------------------------------


def _with(mutate):
    schema = copy.deepcopy(WEATHER_SCHEMA)
    mutate(schema)
    return schema_text(schema)


def _weather(schema):
    return schema["paths"]["/weather"]["get"]


def _first_parameter(schema):
    return _weather(schema)["parameters"][0]


OPTIONAL_ID = {"name": "id", "in": "path", "type": "int", "required": False}
MALFORMED_SCHEMAS = [
    ("{not json", "openapi_schema必须是合法的JSON字符串"),
    ("[1, 2]", "openapi_schema必须是JSON对象"),
    ('"just a string"', "openapi_schema必须是JSON对象"),
    (_with(lambda s: s.pop("description")), "description不能为空"),
    (_with(lambda s: s.update(description="  ")), "description不能为空"),
    (_with(lambda s: s.update(description=["a"])), "description必须是字符串"),
    (_with(lambda s: s.pop("server")), "server不能为空"),
    (_with(lambda s: s.update(server="ftp://gaode.example.com")), "server必须是一个合法的http或https基础地址"),
    (_with(lambda s: s.update(server="gaode.example.com")), "server必须是一个合法的http或https基础地址"),
    (_with(lambda s: s.update(server="https://gaode.example.com?key=1")), "server必须是一个合法的http或https基础地址"),
    (_with(lambda s: s.update(servers=[{"url": "https://a"}], server=None)), "server不能为空"),
    (_with(lambda s: s.pop("paths")), "paths不能为空"),
    (_with(lambda s: s.update(paths={})), "paths不能为空"),
    (_with(lambda s: s.update(paths=["/weather"])), "paths必须是对象"),
    (_with(lambda s: s["paths"].update({"weather": s["paths"].pop("/weather")})), "paths.weather必须以/开头"),
    (_with(lambda s: s["paths"].update({"/empty": {}})), "paths./empty不能为空"),
    (_with(lambda s: s["paths"]["/weather"].update(put=_weather(s))), "paths./weather.put是不支持的请求方法"),
    (_with(lambda s: s["paths"].update({"/" + "a" * 2048: s["paths"].pop("/weather")})), "paths./" + "a" * 2048 + "与server拼接后的地址不能超过2048个字符"),
    (_with(lambda s: s["paths"]["/weather"].update(get="GetCurrentWeather")), "paths./weather.get必须是对象"),
    (_with(lambda s: _weather(s).pop("operationId")), "paths./weather.get.operationId不能为空"),
    (_with(lambda s: _weather(s).update(operationId="")), "paths./weather.get.operationId不能为空"),
    (_with(lambda s: _weather(s).update(operationId="get weather!")), "paths./weather.get.operationId只能包含字母"),
    (_with(lambda s: _weather(s).update(operationId="GetCurrentIp")), "paths./ip.post.operationId与paths./weather.get.operationId重复"),
    (_with(lambda s: _weather(s).pop("description")), "paths./weather.get.description不能为空"),
    (_with(lambda s: _weather(s).update(parameters={"name": "location"})), "paths./weather.get.parameters必须是数组"),
    (_with(lambda s: _weather(s)["parameters"].append("days")), "paths./weather.get.parameters[2]必须是对象"),
    (_with(lambda s: _first_parameter(s).pop("name")), "paths./weather.get.parameters[0].name不能为空"),
    (_with(lambda s: _first_parameter(s).pop("in")), "paths./weather.get.parameters[0].in不能为空"),
    (_with(lambda s: _first_parameter(s).update({"in": "body"})), "paths./weather.get.parameters[0].in必须是以下值之一"),
    (_with(lambda s: _first_parameter(s).update({"in": "request_body"})), "paths./weather.get.parameters[0].in为request_body时请求方法必须是post"),
    (_with(lambda s: _first_parameter(s).pop("type")), "paths./weather.get.parameters[0].type不能为空"),
    (_with(lambda s: _first_parameter(s).update(type="string")), "paths./weather.get.parameters[0].type必须是以下值之一：str、int、float、bool"),
    (_with(lambda s: _first_parameter(s).update(required="yes")), "paths./weather.get.parameters[0].required必须是布尔值"),
    (_with(lambda s: _first_parameter(s).update(description=3)), "paths./weather.get.parameters[0].description必须是字符串"),
    (_with(lambda s: _weather(s)["parameters"][1].update(name="location")), "paths./weather.get.parameters[1].name与同一接口的其他参数重名"),
    (_with(lambda s: _first_parameter(s).update({"in": "path"})), "paths./weather.get.parameters[0].name未出现在路径/weather中"),
    (
        _with(lambda s: s["paths"].update({"/city/{city_id}": {"get": {**_weather(s), "operationId": "GetCity", "parameters": []}}})),
        "paths./city/{city_id}.get.parameters缺少路径/city/{city_id}中{city_id}对应的path参数",
    ),
    (
        _with(lambda s: s["paths"].update({"/city/{id}": {"get": {**_weather(s), "operationId": "GetCity", "parameters": [OPTIONAL_ID]}}})),
        "paths./city/{id}.get.parameters[0].required必须为true",
    ),
    (_with(lambda s: _first_parameter(s).update({"in": "header", "name": "X Bad"})), "paths./weather.get.parameters[0].name不是合法的请求头名称"),
    (_with(lambda s: _first_parameter(s).update({"in": "cookie", "name": "a;b"})), "paths./weather.get.parameters[0].name不是合法的cookie名称"),
]


@pytest.mark.parametrize(("openapi_schema", "message"), MALFORMED_SCHEMAS)
def test_malformed_schemas_are_validate_errors_naming_the_field(client, member, openapi_schema, message):
    expected = "openapi-schema校验失败，" + message

    checked = client.post("/api-tools/validate-openapi-schema", json={"openapi_schema": openapi_schema}, headers=member.headers)
    created = client.post("/api-tools", json=provider_body(openapi_schema=openapi_schema), headers=member.headers)
    for resp in (checked, created):
        assert_envelope(resp, 400, "validate_error")
        assert resp.json["message"].startswith(expected), resp.json["message"]
    assert client.get("/api-tools", headers=member.headers).json["data"]["paginator"]["total_record"] == 0


# --- update and delete --------------------------------------------------------------------------


def test_update_replaces_the_tools_and_the_provider_fields(client, member):
    provider_id = create_provider(client, member)
    old_ip_tool = get_tool(client, member, provider_id, "GetCurrentIp").json["data"]

    schema = copy.deepcopy(WEATHER_SCHEMA)
    schema["description"] = "新的描述"
    del schema["paths"]["/weather"]
    schema["paths"]["/ip"]["post"]["description"] = "新的ip查询"
    schema["paths"]["/route/{mode}"] = {
        "get": {"description": "路线规划", "operationId": "PlanRoute", "parameters": [{"name": "mode", "in": "path", "type": "str"}]}
    }
    new_headers = [{"key": "X-Api-Key", "value": "k2"}]
    body = {"name": "新名字", "icon": "https://cdn.example.com/new.png", "openapi_schema": schema_text(schema), "headers": new_headers}
    resp = client.post(f"/api-tools/{provider_id}", json=body, headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "更新自定义API插件成功"}

    provider = get_provider(client, member, provider_id).json["data"]
    assert (provider["name"], provider["icon"], provider["headers"]) == ("新名字", body["icon"], new_headers)
    assert provider["description"] == "新的描述" and provider["openapi_schema"] == body["openapi_schema"]
    assert get_tool(client, member, provider_id, "GetCurrentWeather").status_code == 404
    new_ip_tool = get_tool(client, member, provider_id, "GetCurrentIp").json["data"]
    assert new_ip_tool["description"] == "新的ip查询" and new_ip_tool["id"] != old_ip_tool["id"]
    assert get_tool(client, member, provider_id, "PlanRoute").json["data"]["inputs"][0]["name"] == "mode"
    [item] = client.get("/api-tools", headers=member.headers).json["data"]["list"]
    assert sorted(tool["name"] for tool in item["tools"]) == ["GetCurrentIp", "PlanRoute"]


def _snapshot(client, member, provider_id):
    listed = client.get("/api-tools", headers=member.headers).json["data"]["list"]
    return get_provider(client, member, provider_id).json, listed


@pytest.mark.parametrize(
    "bad_change",
    [
        {"openapi_schema": _with(lambda s: _weather(s).pop("operationId"))},
        {"openapi_schema": "{broken"},
        {"name": "另一个插件"},  # taken by another provider of the account
        {"icon": "nope"},
    ],
)
def test_a_failing_update_changes_nothing(client, member, bad_change):
    provider_id = create_provider(client, member)
    create_provider(client, member, "另一个插件")
    before = _snapshot(client, member, provider_id)

    schema = copy.deepcopy(WEATHER_SCHEMA)
    del schema["paths"]["/ip"]
    body = {**provider_body("改过的名字", openapi_schema=schema_text(schema)), **bad_change}
    resp = client.post(f"/api-tools/{provider_id}", json=body, headers=member.headers)

    assert resp.json["code"] == "validate_error"
    assert _snapshot(client, member, provider_id) == before


def test_delete_removes_the_provider_and_its_tools(client, member):
    provider_id = create_provider(client, member)
    kept = create_provider(client, member, "保留的插件")

    resp = client.post(f"/api-tools/{provider_id}/delete", headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "删除自定义API插件成功"}

    assert get_provider(client, member, provider_id).status_code == 404
    assert get_tool(client, member, provider_id, "GetCurrentIp").status_code == 404
    assert [item["id"] for item in client.get("/api-tools", headers=member.headers).json["data"]["list"]] == [kept]
    again = client.post(f"/api-tools/{provider_id}/delete", headers=member.headers)
    assert again.status_code == 404 and again.json["code"] == "not_found"
    assert get_tool(client, member, kept, "GetCurrentIp").json["code"] == "success"


def test_a_deleted_providers_name_can_be_used_again(client, member):
    provider_id = create_provider(client, member)
    client.post(f"/api-tools/{provider_id}/delete", headers=member.headers)
    assert create_provider(client, member) != provider_id


# --- ownership and authentication --------------------------------------------------------------


def test_another_accounts_provider_is_not_found_everywhere(app, client, member, other_member):
    provider_id = create_provider(client, member)
    before = _snapshot(client, member, provider_id)

    attempts = [
        client.get(f"/api-tools/{provider_id}", headers=other_member.headers),
        client.get(f"/api-tools/{provider_id}/tools/GetCurrentIp", headers=other_member.headers),
        client.post(f"/api-tools/{provider_id}", json=provider_body("抢过来"), headers=other_member.headers),
        client.post(f"/api-tools/{provider_id}/delete", headers=other_member.headers),
    ]
    for resp in attempts:
        assert resp.status_code == 404 and resp.json["code"] == "not_found", resp.json
    assert client.get("/api-tools", headers=other_member.headers).json["data"]["list"] == []
    assert _snapshot(client, member, provider_id) == before


def test_a_missing_provider_is_not_found_like_a_foreign_one(client, member):
    missing = "6b0f3a0e-1c6d-4c6f-9f59-6d1c1b0b7a11"
    foreign_owner = create_member(client.application, client)
    foreign = create_provider(client, foreign_owner)
    for provider_id in (missing, foreign):
        resp = get_provider(client, member, provider_id)
        assert resp.status_code == 404 and resp.json["message"] == "该工具提供者不存在"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api-tools"),
        ("POST", "/api-tools"),
        ("POST", "/api-tools/validate-openapi-schema"),
        ("GET", "/api-tools/6b0f3a0e-1c6d-4c6f-9f59-6d1c1b0b7a11"),
        ("POST", "/api-tools/6b0f3a0e-1c6d-4c6f-9f59-6d1c1b0b7a11"),
        ("POST", "/api-tools/6b0f3a0e-1c6d-4c6f-9f59-6d1c1b0b7a11/delete"),
        ("GET", "/api-tools/6b0f3a0e-1c6d-4c6f-9f59-6d1c1b0b7a11/tools/GetCurrentIp"),
    ],
)
def test_every_endpoint_requires_sign_in(client, method, path):
    resp = client.open(path, method=method, json={})
    assert resp.status_code == 401 and resp.json["code"] == "unauthorized"
