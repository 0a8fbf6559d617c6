"""llmops-api.md §11.1-11.9 workflows: base information, lists, the draft graph editors
autosave, strict validation on publish, publishing and the agents' bindings."""

import copy
import time
import uuid

import pytest

from internal.core.workflow.graph import parse_draft_graph, stored_graph
from internal.core.workflow.validation import validate_graph
from internal.exception import ValidateErrorException
from internal.service.workflow_graph_service import WorkflowGraphService
from internal.service.workflow_service import WorkflowService
from test.api.apps import assert_updated, create_api_tool, create_app, create_dataset, get_draft, update_draft
from test.api.assertions import assert_fail, assert_not_found, assert_validate_error, success_data
from test.api.workflows import (
    WORKFLOW_ICON,
    assert_saved,
    cancel_publish_workflow,
    chain,
    code_node,
    create_workflow,
    edge,
    end_node,
    get_graph,
    get_workflow,
    literal,
    llm_node,
    mark_debug_passed,
    node,
    publish_checked,
    publish_workflow,
    ref,
    sample_graph,
    save_graph,
    start_node,
    variable,
    workflow_body,
)

WORKFLOW_FIELDS = {
    "id", "name", "tool_call_name", "icon", "description", "status", "is_debug_passed", "node_count",
    "published_at", "updated_at", "created_at",
}  # fmt: skip
NODE_FIELDS = {"id", "node_type", "title", "type", "name", "description", "position", "inputs", "outputs"}
VARIABLE_FIELDS = {"name", "description", "required", "type", "value", "meta"}


# --- create, read, update, delete ---------------------------------------------------------------


def test_created_workflow_is_an_unpublished_draft_with_a_start_and_an_end_node(client, member):
    before = int(time.time())
    workflow_id = create_workflow(client, member, "天气助手", tool_call_name="weather_helper")

    data = get_workflow(client, member, workflow_id)
    assert set(data) == WORKFLOW_FIELDS
    assert data["id"] == workflow_id and data["name"] == "天气助手" and data["tool_call_name"] == "weather_helper"
    assert data["icon"] == WORKFLOW_ICON and data["description"] == "查询城市天气并给出穿衣建议"
    assert data["status"] == "draft" and data["is_debug_passed"] is False and data["published_at"] == 0
    assert data["node_count"] == 2 and data["created_at"] >= before

    graph = get_graph(client, member, workflow_id)
    assert [n["node_type"] for n in graph["nodes"]] == ["start", "end"]
    assert graph["edges"] == []
    for rendered in graph["nodes"]:
        assert NODE_FIELDS <= set(rendered)
        assert rendered["type"] == rendered["node_type"] and rendered["name"] == rendered["title"]
        uuid.UUID(rendered["id"])
    assert len({rendered["id"] for rendered in graph["nodes"]}) == 2


def test_update_changes_base_information(client, member):
    workflow_id = create_workflow(client, member)
    body = workflow_body("新名字", "new_name", description="新的描述")
    resp = client.post(f"/workflows/{workflow_id}", json=body, headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "修改工作流基础信息成功"}, resp.json

    data = get_workflow(client, member, workflow_id)
    assert (data["name"], data["tool_call_name"], data["description"]) == ("新名字", "new_name", "新的描述")


def test_delete_removes_the_workflow(client, member):
    workflow_id = create_workflow(client, member)
    resp = client.post(f"/workflows/{workflow_id}/delete", headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "删除工作流成功"}, resp.json
    assert_not_found(client.get(f"/workflows/{workflow_id}", headers=member.headers))


def test_another_account_sees_no_workflow_of_mine(client, member, other_member):
    workflow_id = create_workflow(client, member)
    headers = other_member.headers
    assert_not_found(client.get(f"/workflows/{workflow_id}", headers=headers))
    assert_not_found(client.post(f"/workflows/{workflow_id}", json=workflow_body(), headers=headers))
    assert_not_found(client.post(f"/workflows/{workflow_id}/delete", headers=headers))
    assert_not_found(client.get(f"/workflows/{workflow_id}/draft-graph", headers=headers))
    assert_not_found(client.post(f"/workflows/{workflow_id}/draft-graph", json=sample_graph(), headers=headers))
    assert_not_found(client.post(f"/workflows/{workflow_id}/publish", headers=headers))
    assert_not_found(client.post(f"/workflows/{workflow_id}/cancel-publish", headers=headers))
    assert client.get("/workflows", headers=headers).json["data"]["list"] == []
    assert_not_found(client.get(f"/workflows/{uuid.uuid4()}", headers=member.headers))


# --- tool_call_name and bodies ------------------------------------------------------------------


@pytest.mark.parametrize("tool_call_name", ["1abc", "has space", "中文", "a-b", "", "a" * 51])
def test_tool_call_name_must_be_an_identifier_of_at_most_50_characters(client, member, tool_call_name):
    resp = client.post("/workflows", json=workflow_body(tool_call_name=tool_call_name) | {"tool_call_name": tool_call_name}, headers=member.headers)
    assert_validate_error(resp, "tool_call_name")


def test_tool_call_name_is_unique_per_account(client, member, other_member):
    create_workflow(client, member, tool_call_name="same_name")
    resp = client.post("/workflows", json=workflow_body(tool_call_name="same_name"), headers=member.headers)
    assert_validate_error(resp, "tool_call_name")
    # Another account may use it; renaming a workflow to a taken name is refused too.
    create_workflow(client, other_member, tool_call_name="same_name")
    second = create_workflow(client, member, tool_call_name="other_name")
    resp = client.post(f"/workflows/{second}", json=workflow_body(tool_call_name="same_name"), headers=member.headers)
    assert_validate_error(resp, "tool_call_name")
    # Keeping its own name is fine.
    resp = client.post(f"/workflows/{second}", json=workflow_body(tool_call_name="other_name"), headers=member.headers)
    assert resp.json["code"] == "success", resp.json


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", ""),
        ("name", "n" * 51),
        ("icon", "not-a-url"),
        ("description", ""),
        ("description", "d" * 1025),
        ("tool_call_name", None),
    ],
)
def test_bad_base_information_is_a_validate_error_naming_the_field(client, member, field, value):
    resp = client.post("/workflows", json=workflow_body() | {field: value}, headers=member.headers)
    assert_validate_error(resp, field)


# --- lists --------------------------------------------------------------------------------------


def test_list_is_newest_first_and_filters_by_status_and_name(app, client, member):
    first = create_workflow(client, member, "查询天气")
    second = create_workflow(client, member, "翻译助手")
    save_graph(client, member, first, sample_graph())
    publish_checked(app, client, member, first)

    def listed(**query):
        resp = client.get("/workflows", query_string=query, headers=member.headers)
        return [item["id"] for item in success_data(resp)["list"]]

    assert listed() == [second, first]
    assert listed(status="published") == [first]
    assert listed(status="draft") == [second]
    assert listed(status="") == [second, first]
    assert listed(search_word="翻译") == [second]
    assert listed(search_word="%") == []

    item = success_data(client.get("/workflows", headers=member.headers))["list"][1]
    assert set(item) == WORKFLOW_FIELDS and item["status"] == "published" and item["node_count"] == 3
    assert item["published_at"] > 0


def test_list_pages_are_10_to_50_items(client, member):
    for index in range(11):
        create_workflow(client, member, f"工作流{index}")
    data = success_data(client.get("/workflows", query_string={"page_size": 10, "current_page": 2}, headers=member.headers))
    assert data["paginator"] == {"current_page": 2, "page_size": 10, "total_page": 2, "total_record": 11}
    assert len(data["list"]) == 1
    for query in ({"page_size": 9}, {"page_size": 51}, {"current_page": 0}, {"status": "archived"}):
        field = next(iter(query))
        assert_validate_error(client.get("/workflows", query_string=query, headers=member.headers), field)


# --- the draft graph ----------------------------------------------------------------------------


def test_saved_graph_comes_back_complete_in_the_editor_shapes(client, member):
    workflow_id = create_workflow(client, member)
    start = node("start", "开始", inputs=[{"name": "query", "type": "string", "description": "问题", "required": True}])
    # The contract's names (type/name), a ref with ref_node_var_name, a variable without type,
    # literal numbers as strings, and keys only the editor knows.
    llm = {
        "id": str(uuid.uuid4()),
        "type": "llm",
        "name": "大语言模型",
        "position": {"x": 300, "y": 100.5},
        "prompt": "{{query}}",
        "model_config": {"provider": "openai", "model": "gpt-4o-mini", "parameters": {}},
        "language_model_config": {"provider": "openai", "model": "gpt-4o", "parameters": {}},
        "inputs": [
            {"name": "query", "value": {"type": "ref", "content": {"ref_node_id": start["id"], "ref_node_var_name": "query"}}},
            {"name": "n", "type": "int", "value": {"type": "literal", "content": "3"}},
        ],
        "selected": True,
        "ui": {"width": 240},
    }
    end = end_node(variable("answer", value=ref(llm["id"], "output")))
    sent = chain(start, dict(llm, node_type="llm"), end)
    assert_saved(save_graph(client, member, workflow_id, sent))

    graph = get_graph(client, member, workflow_id)
    assert get_workflow(client, member, workflow_id)["node_count"] == 3
    rendered = {n["node_type"]: n for n in graph["nodes"]}
    got = rendered["llm"]
    assert got["title"] == got["name"] == "大语言模型" and got["type"] == "llm"
    assert got["position"] == {"x": 300, "y": 100.5}
    assert got["model_config"]["model"] == "gpt-4o-mini" and got["language_model_config"]["model"] == "gpt-4o-mini"
    assert got["selected"] is True and got["ui"] == {"width": 240}
    query, n = got["inputs"]
    assert set(query) == VARIABLE_FIELDS and query["type"] == "string" and query["meta"] == {}
    assert query["value"]["content"] == {"ref_node_id": start["id"], "ref_var_name": "query", "ref_node_var_name": "query"}
    assert n["value"] == {"type": "literal", "content": "3"} and n["type"] == "int"
    assert [(o["name"], o["type"]) for o in got["outputs"]] == [("output", "string")]
    assert rendered["start"]["inputs"][0]["value"] == {"type": "literal", "content": ""}
    assert graph["edges"] == sent["edges"]


def test_every_node_type_is_served_with_its_fields_and_fixed_outputs(client, member):
    workflow_id = create_workflow(client, member)
    half_filled = [
        node("start", "开始"),
        node("llm", "模型"),
        node("template_transform", "模板"),
        node("code", "代码"),
        node("http_request", "请求"),
        node("dataset_retrieval", "检索"),
        node("tool", "工具"),
        node("end", "结束"),
    ]
    assert_saved(save_graph(client, member, workflow_id, {"nodes": half_filled, "edges": []}))

    rendered = {n["node_type"]: n for n in get_graph(client, member, workflow_id)["nodes"]}
    assert rendered["llm"]["prompt"] == "" and rendered["llm"]["model_config"] == rendered["llm"]["language_model_config"]
    assert rendered["template_transform"]["template"] == ""
    assert rendered["code"]["code"] == "" and rendered["code"]["outputs"] == []
    assert (rendered["http_request"]["url"], rendered["http_request"]["method"]) == ("", "get")
    assert [o["name"] for o in rendered["http_request"]["outputs"]] == ["status_code", "text"]
    retrieval = rendered["dataset_retrieval"]
    assert retrieval["dataset_ids"] == [] and retrieval["meta"] == {"datasets": []}
    assert set(retrieval["retrieval_config"]) >= {"retrieval_strategy", "k", "score"}
    assert [o["name"] for o in retrieval["outputs"]] == ["combine_documents"]
    tool = rendered["tool"]
    assert {"tool_type", "provider_id", "tool_id", "params", "meta"} <= set(tool)
    assert tool["meta"] == {"type": "builtin_tool", "provider": {}, "tool": {}}
    assert [o["name"] for o in tool["outputs"]] == ["text"]
    for rendered_node in rendered.values():
        assert NODE_FIELDS <= set(rendered_node)


def test_retrieval_node_shows_the_accounts_datasets(client, member):
    dataset_id = create_dataset(client, member, "产品手册")
    workflow_id = create_workflow(client, member)
    retrieval = node("dataset_retrieval", "检索", dataset_ids=[dataset_id, str(uuid.uuid4())])
    assert_saved(save_graph(client, member, workflow_id, {"nodes": [retrieval], "edges": []}))
    got = get_graph(client, member, workflow_id)["nodes"][0]
    assert [d["id"] for d in got["meta"]["datasets"]] == [dataset_id]
    assert set(got["meta"]["datasets"][0]) == {"id", "name", "icon", "description"}


def test_tool_nodes_show_the_tools_they_name(app, client, member, other_member):
    provider_id, _ = create_api_tool(client, member)
    theirs, _ = create_api_tool(client, other_member)
    builtin = node("tool", "计算", tool_type="builtin_tool", provider_id="calculator", tool_id="calculator", params={})
    api = node("tool", "天气", tool_type="api_tool", provider_id=provider_id, tool_id="GetCurrentWeather", params={})
    foreign = node("tool", "别人的", tool_type="api_tool", provider_id=theirs, tool_id="GetCurrentWeather", params={})
    gone = node("tool", "不存在", tool_type="builtin_tool", provider_id="calculator", tool_id="nope",
                meta={"type": "builtin_tool", "provider": {"name": "saved"}, "tool": {}})  # fmt: skip
    workflow_id = create_workflow(client, member)
    assert_saved(save_graph(client, member, workflow_id, {"nodes": [builtin, api, foreign, gone], "edges": []}))
    mark_debug_passed(app, workflow_id)

    served = {n["title"]: n["meta"] for n in get_graph(client, member, workflow_id)["nodes"]}
    assert served["计算"]["type"] == "builtin_tool"
    assert served["计算"]["provider"]["name"] == "calculator" and served["计算"]["provider"]["icon"].endswith("/builtin-tools/calculator/icon")
    assert served["计算"]["tool"]["name"] == "calculator" and served["计算"]["tool"]["label"]
    assert served["天气"]["type"] == "api_tool" and served["天气"]["provider"]["id"] == provider_id
    assert served["天气"]["tool"]["name"] == "GetCurrentWeather"
    assert served["别人的"] == {"type": "api_tool", "provider": {}, "tool": {}}
    assert served["不存在"]["provider"] == {"name": "saved"}
    # What GET showed, sent back: no change that needs another debug run.
    assert_saved(save_graph(client, member, workflow_id, get_graph(client, member, workflow_id)))
    assert get_workflow(client, member, workflow_id)["is_debug_passed"] is True


def test_a_save_that_only_moves_nodes_keeps_the_debug_pass(app, client, member):
    workflow_id = create_workflow(client, member)
    graph = sample_graph()
    save_graph(client, member, workflow_id, graph)
    mark_debug_passed(app, workflow_id)

    # What GET served, sent back with nodes moved: still passed.
    served = get_graph(client, member, workflow_id)
    for index, served_node in enumerate(served["nodes"]):
        served_node["position"] = {"x": index * 123.5, "y": 42}
    assert_saved(save_graph(client, member, workflow_id, served))
    assert get_workflow(client, member, workflow_id)["is_debug_passed"] is True
    assert_saved(save_graph(client, member, workflow_id, served))
    assert get_workflow(client, member, workflow_id)["is_debug_passed"] is True

    changed = copy.deepcopy(served)
    changed["nodes"][1]["prompt"] = "另一个提示词 {{query}}"
    assert_saved(save_graph(client, member, workflow_id, changed))
    assert get_workflow(client, member, workflow_id)["is_debug_passed"] is False


@pytest.mark.parametrize(
    "graph, field",
    [
        ({"nodes": {}, "edges": []}, "nodes"),
        ({"nodes": []}, "edges"),
        ({"nodes": ["x"], "edges": []}, "nodes[0]"),
        ({"nodes": [{"id": "a", "node_type": "loop"}], "edges": []}, "nodes[0].node_type"),
        ({"nodes": [{"id": "a"}], "edges": []}, "nodes[0].node_type"),
        ({"nodes": [{"node_type": "start"}], "edges": []}, "nodes[0].id"),
        ({"nodes": [{"id": "a", "node_type": "start", "position": {"x": "left"}}], "edges": []}, "nodes[0].position.x"),
        ({"nodes": [{"id": "a", "node_type": "start", "inputs": "q"}], "edges": []}, "nodes[0].inputs"),
        ({"nodes": [{"id": "a", "node_type": "start", "inputs": [{"name": "q", "type": "date"}]}], "edges": []}, "nodes[0].inputs[0].type"),
        ({"nodes": [{"id": "a", "node_type": "llm", "inputs": [{"name": "q", "value": {"type": "env"}}]}], "edges": []}, "nodes[0].inputs[0].value.type"),
        ({"nodes": [{"id": "a", "node_type": "llm", "inputs": [{"name": "q", "value": {"type": "ref", "content": "a.b"}}]}], "edges": []}, "nodes[0].inputs[0].value.content"),
        ({"nodes": [{"id": "a", "node_type": "llm", "inputs": [{"name": "q", "value": {"type": "ref", "content": {"ref_node_id": 1}}}]}], "edges": []}, "nodes[0].inputs[0].value.content.ref_node_id"),
        ({"nodes": [{"id": "a", "node_type": "http_request", "method": "trace"}], "edges": []}, "nodes[0].method"),
        ({"nodes": [{"id": "a", "node_type": "start", "title": "t" * 51}], "edges": []}, "nodes[0].title"),
        ({"nodes": [{"id": "a", "node_type": "start", "description": "d" * 1025}], "edges": []}, "nodes[0].description"),
        ({"nodes": [{"id": str(i), "node_type": "start"} for i in range(101)], "edges": []}, "nodes"),
        ({"nodes": [], "edges": [{"id": "e", "source": "a"}]}, "edges[0].target"),
        ({"nodes": [], "edges": [{"id": "e", "source": "a", "target": "b", "source_type": "x"}]}, "edges[0].source_type"),
    ],
)
def test_malformed_graphs_are_refused_naming_the_path(client, member, graph, field):
    workflow_id = create_workflow(client, member)
    assert_validate_error(save_graph(client, member, workflow_id, graph), field)


def test_numbers_that_json_cannot_store_are_refused(client, member):
    workflow_id = create_workflow(client, member)
    body = '{"nodes": [{"id": "a", "node_type": "start", "position": {"x": NaN, "y": 0}}], "edges": []}'
    resp = client.post(
        f"/workflows/{workflow_id}/draft-graph", data=body, content_type="application/json", headers=member.headers
    )
    assert_validate_error(resp, "nodes[0].position.x")


# --- publishing ---------------------------------------------------------------------------------


def test_publish_needs_a_debug_pass_and_cancel_needs_a_published_workflow(app, client, member):
    workflow_id = create_workflow(client, member)
    save_graph(client, member, workflow_id, sample_graph())
    assert_fail(publish_workflow(client, member, workflow_id))
    assert_fail(cancel_publish_workflow(client, member, workflow_id))

    publish_checked(app, client, member, workflow_id)
    data = get_workflow(client, member, workflow_id)
    assert data["status"] == "published" and data["published_at"] > 0

    resp = cancel_publish_workflow(client, member, workflow_id)
    assert resp.json == {"code": "success", "data": {}, "message": "取消发布工作流成功"}, resp.json
    data = get_workflow(client, member, workflow_id)
    assert data["status"] == "draft" and data["published_at"] == 0
    assert_fail(cancel_publish_workflow(client, member, workflow_id))


def _valid_parts():
    start = start_node(variable("query"), variable("count", "int"))
    llm = llm_node(start)
    end = end_node(variable("answer", value=ref(llm["id"], "output")))
    return start, llm, end


def _refused(app, client, member, graph: dict, field: str, node_title: str | None = None) -> str:
    workflow_id = create_workflow(client, member)
    assert_saved(save_graph(client, member, workflow_id, graph))
    mark_debug_passed(app, workflow_id)
    resp = publish_workflow(client, member, workflow_id)
    assert_validate_error(resp, field)
    if node_title is not None:
        assert f'"{node_title}"' in resp.json["message"], resp.json["message"]
    assert get_workflow(client, member, workflow_id)["status"] == "draft"
    return resp.json["message"]


def test_every_node_type_in_one_valid_graph_publishes(app, client, member):
    dataset_id = create_dataset(client, member)
    provider_id, _ = create_api_tool(client, member)
    start = start_node(variable("query"), variable("count", "int"))
    llm = llm_node(start)
    template = node("template_transform", "模板", template="{{answer}}", inputs=[variable("answer", value=ref(llm["id"], "output"))])
    code = code_node(start)
    http = node(
        "http_request", "请求", url="https://example.com/api", method="post",
        inputs=[variable("q", value=ref(start["id"], "query"), meta={"type": "params"})],
    )  # fmt: skip
    retrieval = node(
        "dataset_retrieval", "检索", dataset_ids=[dataset_id],
        retrieval_config={"retrieval_strategy": "semantic", "k": 4, "score": 0.5},
        inputs=[variable("query", value=ref(start["id"], "query"))],
    )  # fmt: skip
    builtin = node("tool", "时间", tool_type="builtin_tool", provider_id="time", tool_id="current_time")
    api = node(
        "tool", "天气", tool_type="api_tool", provider_id=provider_id, tool_id="GetCurrentWeather",
        inputs=[variable("location", value=ref(start["id"], "query"))],
    )  # fmt: skip
    end = end_node(
        variable("answer", value=ref(template["id"], "output")),
        variable("n", "float", value=ref(code["id"], "n")),
        variable("status", "string", value=ref(http["id"], "status_code")),
        variable("docs", value=ref(retrieval["id"], "combine_documents")),
        variable("now", value=ref(builtin["id"], "text")),
        variable("weather", value=ref(api["id"], "text")),
        variable("fixed", "int", value=literal("7")),
    )
    middle = [llm, code, http, retrieval, builtin, api]
    graph = {
        "nodes": [start, *middle, template, end],
        "edges": [edge(start, n) for n in middle] + [edge(llm, template), edge(template, end)] + [edge(n, end) for n in middle[1:]],
    }
    workflow_id = create_workflow(client, member)
    assert_saved(save_graph(client, member, workflow_id, graph))
    publish_checked(app, client, member, workflow_id)


def test_graph_level_rules_name_what_is_wrong(app, client, member):
    start, llm, end = _valid_parts()
    _refused(app, client, member, chain(llm, end), "nodes")  # no start
    _refused(app, client, member, chain(start, llm), "nodes")  # no end
    second_start = dict(start_node(), title="开始2")
    _refused(app, client, member, {"nodes": [start, second_start, llm, end], "edges": []}, "nodes")
    duplicate_id = dict(copy.deepcopy(llm), title="另一个")
    graph = chain(start, llm, end)
    graph["nodes"].append(duplicate_id)
    _refused(app, client, member, graph, "nodes[3].id", "另一个")
    same_title = dict(copy.deepcopy(llm), id=str(uuid.uuid4()), title="开始")
    graph = chain(start, same_title, end)
    _refused(app, client, member, graph, "nodes[1].title")


def test_edges_must_join_existing_nodes_of_the_declared_types_without_cycles(app, client, member):
    start, llm, end = _valid_parts()
    graph = chain(start, llm, end)
    graph["edges"].append({"id": "dangling", "source": llm["id"], "target": "nowhere"})
    _refused(app, client, member, graph, "edges[2].target")

    graph = chain(start, llm, end)
    graph["edges"][0]["target_type"] = "code"
    _refused(app, client, member, graph, "edges[0].target_type")

    other = llm_node(start, "第二个模型")
    other["inputs"] = [variable("query", value=ref(start["id"], "query"))]
    graph = chain(start, llm, other, end)
    graph["edges"].append(edge(other, llm))
    _refused(app, client, member, graph, "nodes[1]", "大语言模型")  # on a cycle


def test_every_node_must_lie_between_start_and_end(app, client, member):
    start, llm, end = _valid_parts()
    island = llm_node(start, "孤立")
    graph = chain(start, llm, end)
    graph["nodes"].append(island)
    _refused(app, client, member, graph, "nodes[3]", "孤立")

    dead_end = llm_node(start, "死路")
    graph = chain(start, llm, end)
    graph["nodes"].append(dead_end)
    graph["edges"].append(edge(start, dead_end))
    _refused(app, client, member, graph, "nodes[3]", "死路")


def test_references_point_to_an_ancestors_output_of_a_compatible_type(app, client, member):
    start, llm, end = _valid_parts()
    # A sibling's output is not an ancestor's.
    sibling = llm_node(start, "兄弟")
    sibling["inputs"] = [variable("query", value=ref(llm["id"], "output"))]
    graph = {"nodes": [start, llm, sibling, end], "edges": [edge(start, llm), edge(start, sibling), edge(llm, end), edge(sibling, end)]}
    _refused(app, client, member, graph, "nodes[2].inputs[0].value.content.ref_node_id", "兄弟")

    wrong_name = copy.deepcopy(llm)
    wrong_name["inputs"] = [variable("query", value=ref(start["id"], "question"))]
    _refused(app, client, member, chain(start, wrong_name, end), "nodes[1].inputs[0].value.content.ref_var_name")

    # string → int is refused; int → float and anything → string are allowed.
    wrong_type = copy.deepcopy(llm)
    wrong_type["inputs"] = [variable("query", "int", value=ref(start["id"], "query"))]
    _refused(app, client, member, chain(start, wrong_type, end), "nodes[1].inputs[0].value.content.ref_var_name")
    widened = copy.deepcopy(llm)
    widened["inputs"] = [variable("query", value=ref(start["id"], "count")), variable("f", "float", value=ref(start["id"], "count"))]
    workflow_id = create_workflow(client, member)
    assert_saved(save_graph(client, member, workflow_id, chain(start, widened, end)))
    publish_checked(app, client, member, workflow_id)

    # The end node's outputs refer or hold a literal that fits their type.
    generated_end = end_node(variable("answer", value={"type": "generated", "content": ""}))
    _refused(app, client, member, chain(start, llm, generated_end), "nodes[2].outputs[0].value.type", "结束")
    bad_literal = end_node(variable("n", "int", value=literal("three")))
    _refused(app, client, member, chain(start, llm, bad_literal), "nodes[2].outputs[0].value.content")


def test_variable_names_are_identifiers_unique_per_side(app, client, member):
    start, llm, end = _valid_parts()
    bad_start = start_node(variable("1query"))
    _refused(app, client, member, chain(bad_start, llm, end), "nodes[0].inputs[0].name", "开始")
    twice = start_node(variable("query"), variable("query"))
    _refused(app, client, member, chain(twice, llm, end), "nodes[0].inputs[1].name")


@pytest.mark.parametrize(
    "change, field",
    [
        ({"prompt": "  "}, "prompt"),
        ({"model_config": {"provider": "nobody", "model": "x", "parameters": {}}}, "model_config.provider"),
        ({"model_config": {"provider": "openai", "model": "gpt-0", "parameters": {}}}, "model_config.model"),
        ({"model_config": {"provider": "openai", "model": "", "parameters": {}}}, "model_config.model"),
    ],
)
def test_llm_node_needs_a_prompt_and_a_known_model(app, client, member, change, field):
    start, llm, end = _valid_parts()
    _refused(app, client, member, chain(start, {**llm, **change}, end), f"nodes[1].{field}", "大语言模型")


@pytest.mark.parametrize(
    "code",
    [
        "",
        "def main(params):\n  return {\n",  # syntax error
        "def handler(params):\n    return {}\n",
        "def main():\n    return {}\n",
        "def main(a, b):\n    return {}\n",
        "async def main(params):\n    return {}\n",
        "if True:\n    def main(params):\n        return {}\n",
    ],
)
def test_code_node_must_parse_and_define_main_with_one_parameter(app, client, member, code):
    start = start_node()
    code_step = code_node(start, code)
    end = end_node(variable("n", "int", value=ref(code_step["id"], "n")))
    _refused(app, client, member, chain(start, code_step, end), "nodes[1].code", "代码")


def test_code_is_never_executed_by_save_validation_or_publish(app, client, member, tmp_path):
    marker = tmp_path / "escaped"
    write = f"open({str(marker)!r}, 'w').write('x')"
    code = (
        f"import os\n"
        f"{write}\n"
        f"def touch(f):\n    {write}\n    return f\n"
        f"class Sneaky:\n    {write}\n"
        f"@touch\n"
        f"def main(params, _={write}):\n    return {{}}\n"
    )
    start = start_node()
    code_step = code_node(start, code)
    end = end_node(variable("n", "int", value=ref(code_step["id"], "n")))
    workflow_id = create_workflow(client, member)
    assert_saved(save_graph(client, member, workflow_id, chain(start, code_step, end)))
    get_graph(client, member, workflow_id)
    mark_debug_passed(app, workflow_id)
    publish_workflow(client, member, workflow_id)  # refused or not, nothing runs
    plain = code_node(start, f"def main(params):\n    {write}\n    return {{'n': 1}}\n")
    plain_end = end_node(variable("n", "int", value=ref(plain["id"], "n")))
    assert_saved(save_graph(client, member, workflow_id, chain(start, plain, plain_end)))
    publish_checked(app, client, member, workflow_id)
    assert not marker.exists()


def test_http_node_needs_an_http_url_and_placed_inputs(app, client, member):
    start = start_node()
    http = node("http_request", "请求", url="ftp://example.com", inputs=[variable("q", value=ref(start["id"], "query"), meta={"type": "params"})])
    end = end_node(variable("text", value=ref(http["id"], "text")))
    _refused(app, client, member, chain(start, http, end), "nodes[1].url", "请求")
    http["url"] = "https://example.com"
    http["inputs"][0]["meta"] = {"type": "cookies"}
    _refused(app, client, member, chain(start, http, end), "nodes[1].inputs[0].meta.type")


def test_retrieval_node_needs_the_accounts_datasets_and_a_sane_config(app, client, member, other_member):
    mine = create_dataset(client, member)
    theirs = create_dataset(client, other_member)
    start = start_node()

    def graph(**fields):
        retrieval = node(
            "dataset_retrieval", "检索", dataset_ids=[mine],
            retrieval_config={"retrieval_strategy": "semantic", "k": 4, "score": 0.5},
            inputs=[variable("query", value=ref(start["id"], "query"))],
        )  # fmt: skip
        retrieval.update(fields)
        return chain(start, retrieval, end_node(variable("docs", value=ref(retrieval["id"], "combine_documents"))))

    _refused(app, client, member, graph(dataset_ids=[]), "nodes[1].dataset_ids", "检索")
    _refused(app, client, member, graph(dataset_ids=[mine, theirs]), "nodes[1].dataset_ids[1]")
    _refused(app, client, member, graph(dataset_ids=[str(uuid.uuid4()) for _ in range(6)]), "nodes[1].dataset_ids")
    bad_k = {"retrieval_strategy": "semantic", "k": 11, "score": 0.5}
    _refused(app, client, member, graph(retrieval_config=bad_k), "nodes[1].retrieval_config.k")
    bad_score = {"retrieval_strategy": "semantic", "k": 4, "score": 1}
    _refused(app, client, member, graph(retrieval_config=bad_score), "nodes[1].retrieval_config.score")
    _refused(app, client, member, graph(inputs=[variable("question", value=ref(start["id"], "query"))]), "nodes[1].inputs")


def test_tool_node_needs_a_known_builtin_tool_or_the_accounts_api_tool(app, client, member, other_member):
    theirs, _ = create_api_tool(client, other_member)
    start = start_node()

    def graph(**fields):
        tool = node("tool", "工具", **fields)
        return chain(start, tool, end_node(variable("text", value=ref(tool["id"], "text"))))

    _refused(app, client, member, graph(tool_type="builtin_tool", provider_id="time", tool_id="nope"), "nodes[1].tool_id", "工具")
    _refused(app, client, member, graph(tool_type="api_tool", provider_id="not-a-uuid", tool_id="x"), "nodes[1].provider_id")
    _refused(app, client, member, graph(tool_type="api_tool", provider_id=theirs, tool_id="GetCurrentWeather"), "nodes[1].tool_id")


def test_validated_draft_returns_the_typed_graph_for_the_debug_run(app, client, member):
    workflow_id = create_workflow(client, member)
    save_graph(client, member, workflow_id, sample_graph())
    with app.app_context():
        service = app.extensions["injector"].get(WorkflowService)
        workflow, graph = service.validated_draft(member.id, uuid.UUID(workflow_id))
        assert str(workflow.id) == workflow_id
        assert [n.node_type.value for n in graph.nodes] == ["start", "llm", "end"]
        resources = app.extensions["injector"].get(WorkflowGraphService).resources(member.id)
        with pytest.raises(ValidateErrorException):
            validate_graph(parse_draft_graph({"nodes": [], "edges": []}), resources)


def test_a_debug_pass_counts_only_for_the_draft_that_ran(app, client, member):
    workflow_id = create_workflow(client, member)
    save_graph(client, member, workflow_id, sample_graph())
    with app.app_context():
        service = app.extensions["injector"].get(WorkflowService)
        _, ran = service.validated_draft(member.id, uuid.UUID(workflow_id))
        ran = stored_graph(ran)
    changed = sample_graph()
    assert_saved(save_graph(client, member, workflow_id, changed))
    with app.app_context():
        assert service.record_debug_pass(uuid.UUID(workflow_id), ran) is False
    assert get_workflow(client, member, workflow_id)["is_debug_passed"] is False
    with app.app_context():
        _, ran = service.validated_draft(member.id, uuid.UUID(workflow_id))
        assert service.record_debug_pass(uuid.UUID(workflow_id), stored_graph(ran)) is True
    assert get_workflow(client, member, workflow_id)["is_debug_passed"] is True


# --- agents' bindings ---------------------------------------------------------------------------


def test_only_published_workflows_of_the_account_can_be_bound(app, client, member, other_member):
    app_id = create_app(client, member)
    draft = create_workflow(client, member)
    assert_validate_error(update_draft(client, member, app_id, {"workflows": [draft]}), "workflows[0]")
    theirs = create_workflow(client, other_member)
    save_graph(client, other_member, theirs, sample_graph())
    publish_checked(app, client, other_member, theirs)
    assert_validate_error(update_draft(client, member, app_id, {"workflows": [theirs]}), "workflows[0]")


def test_bound_workflow_is_dropped_for_good_when_unpublished(app, client, member):
    app_id = create_app(client, member)
    first = create_workflow(client, member, "第一个")
    second = create_workflow(client, member, "第二个")
    for workflow_id in (first, second):
        save_graph(client, member, workflow_id, sample_graph())
        publish_checked(app, client, member, workflow_id)
    assert_updated(update_draft(client, member, app_id, {"workflows": [second, first]}))

    bound = get_draft(client, member, app_id)["workflows"]
    assert [w["id"] for w in bound] == [second, first]
    assert set(bound[0]) == {"id", "name", "icon", "description"} and bound[0]["name"] == "第二个"

    cancel_publish_workflow(client, member, second)
    assert [w["id"] for w in get_draft(client, member, app_id)["workflows"]] == [first]
    publish_checked(app, client, member, second)
    assert [w["id"] for w in get_draft(client, member, app_id)["workflows"]] == [first]

    client.post(f"/workflows/{first}/delete", headers=member.headers)
    assert get_draft(client, member, app_id)["workflows"] == []
