"""llmops-api.md §11.10 and the workflow binding of agents, end to end: a workflow with every kind
of node is built, debugged node by node, published, bound to an agent and called by it."""

import json
import uuid

import pytest

from config import Settings

from internal.extension.database import db
from internal.model import WorkflowNodeRun, WorkflowRun
from test.api.assertions import assert_not_found, assert_validate_error, success_data
from test.api.chat import chat_app, debug_chat, read_events
from test.api.apps import assert_updated, update_draft
from test.api.knowledge_base import build_document, create_dataset
from test.fakes.http_server import Reply
from test.fakes.openai_server import ChatReply, ToolCall
from test.fakes.scripted_server import ScriptedServer
from test.api.workflows import assert_saved, create_workflow, edge, get_workflow, node, ref, save_graph, variable

MODEL = {"provider": "openai", "model": "gpt-4o-mini", "parameters": {}}


def var(name: str, value: dict | None = None, type_: str = "string", **fields) -> dict:
    return variable(name, type_, value, **fields)


def edges(*pairs: tuple[dict, dict]) -> list[dict]:
    return [edge(source, target) for source, target in pairs]


def new_workflow(client, member, tool_call_name: str | None = None, description: str = "测试工作流") -> str:
    return create_workflow(client, member, tool_call_name=tool_call_name, description=description)


def save(client, member, workflow_id: str, nodes: list[dict], graph_edges: list[dict]) -> None:
    assert_saved(save_graph(client, member, workflow_id, {"nodes": nodes, "edges": graph_edges}))


def debug(client, member, workflow_id: str, body: dict):
    return client.post(f"/workflows/{workflow_id}/debug", json=body, headers=member.headers)


def simple_graph(template: str = "你好，{{ name }}") -> tuple[list[dict], list[dict]]:
    """start(name) → template_transform → end(greeting)."""
    start = node("start", "开始", inputs=[var("name")])
    template_node = node(
        "template_transform", "模板", template=template, inputs=[var("name", ref(start["id"], "name"))]
    )
    end = node("end", "结束", outputs=[var("greeting", ref(template_node["id"], "output"))])
    return [start, template_node, end], edges((start, template_node), (template_node, end))


@pytest.fixture
def http_api():
    server = ScriptedServer(lambda request: Reply(200, {"n": request.query.get("n", [""])[0], "ok": True})).start()
    yield server
    server.stop()


def test_every_kind_of_node_debugged_published_and_called_by_an_agent(app, client, member, llm, http_api):
    marker = f"wf-{uuid.uuid4().hex[:8]}"
    dataset_id = create_dataset(client, member)
    build_document(app, client, member, dataset_id, "课程.md", "LLMOps 课程每周三晚上八点上课。".encode())

    start = node("start", "开始", inputs=[var("query"), var("n", type_="int")])
    llm_node = node(
        "llm",
        "大语言模型",
        prompt=f"({marker}) 回答：{{{{query}}}}",
        model_config=MODEL,
        inputs=[var("query", ref(start["id"], "query"))],
    )
    tool = node(
        "tool",
        "计算器",
        tool_type="builtin_tool",
        provider_id="calculator",
        tool_id="calculator",
        params={},
        inputs=[var("expression", {"type": "literal", "content": "6*7"})],
    )
    retrieval = node(
        "dataset_retrieval",
        "知识库检索",
        dataset_ids=[dataset_id],
        retrieval_config={"retrieval_strategy": "full_text", "k": 3, "score": 0},
        inputs=[var("query", ref(start["id"], "query"))],
    )
    http = node(
        "http_request",
        "HTTP请求",
        url=f"{http_api.url}/count",
        method="get",
        inputs=[var("n", ref(start["id"], "n"), type_="int", meta={"type": "params"})],
    )
    template_node = node(
        "template_transform",
        "模板转换",
        template="{{ answer }}|{{ docs }}",
        inputs=[var("answer", ref(llm_node["id"], "output")), var("docs", ref(retrieval["id"], "combine_documents"))],
    )
    code = node(
        "code",
        "代码",
        code="def main(params):\n    return {'total': params['n'] * 2}\n",
        inputs=[var("n", ref(start["id"], "n"), type_="int")],
        outputs=[var("total", type_="int")],
    )
    end = node(
        "end",
        "结束",
        outputs=[
            var("answer", ref(template_node["id"], "output")),
            var("total", ref(code["id"], "total"), type_="int"),
            var("status", ref(http["id"], "status_code"), type_="int"),
            var("calc", ref(tool["id"], "text")),
        ],
    )
    nodes = [start, llm_node, tool, retrieval, http, template_node, code, end]
    graph_edges = edges(
        (start, llm_node), (start, tool), (start, retrieval), (start, http), (start, code),
        (llm_node, template_node), (retrieval, template_node),
        (template_node, end), (code, end), (http, end), (tool, end),
    )
    workflow_id = new_workflow(client, member, tool_call_name="course_helper", description="回答课程问题")
    save(client, member, workflow_id, nodes, graph_edges)
    assert get_workflow(client, member, workflow_id)["is_debug_passed"] is False

    llm.script_chat(marker, "每周三晚上八点。")
    events = read_events(debug(client, member, workflow_id, {"query": "什么时候上课", "n": "21"}))

    assert {e["event"] for e in events} == {"workflow"}
    by_title = {e["data"]["node_data"]["title"]: e["data"] for e in events}
    assert set(by_title) == {n["title"] for n in nodes}
    assert all(data["status"] == "succeeded" and data["error"] == "" for data in by_title.values())
    assert all(isinstance(data["latency"], float) for data in by_title.values())
    assert all(data["node_data"]["type"] == data["node_data"]["node_type"] for data in by_title.values())
    # Each node finishes after what it depends on.
    order = [e["data"]["node_data"]["title"] for e in events]
    assert order[0] == "开始" and order[-1] == "结束"
    assert order.index("模板转换") > max(order.index("大语言模型"), order.index("知识库检索"))

    assert by_title["开始"]["outputs"] == {"query": "什么时候上课", "n": 21}
    assert by_title["大语言模型"]["outputs"] == {"output": "每周三晚上八点。"}
    assert "每周三晚上八点上课" in by_title["知识库检索"]["outputs"]["combine_documents"]
    assert by_title["HTTP请求"]["outputs"]["status_code"] == 200
    assert json.loads(by_title["HTTP请求"]["outputs"]["text"]) == {"n": "21", "ok": True}
    assert by_title["代码"]["outputs"] == {"total": 42}
    assert by_title["计算器"]["outputs"]["text"].startswith("42")
    result = by_title["结束"]["outputs"]
    assert result["total"] == 42 and result["status"] == 200
    assert result["answer"].startswith("每周三晚上八点。|") and "LLMOps" in result["answer"]
    # The prompt reached the model with the reference filled in.
    [prompt_request] = llm.chat_requests(marker)
    assert "什么时候上课" in str(prompt_request["messages"])

    assert get_workflow(client, member, workflow_id)["is_debug_passed"] is True
    with app.app_context():
        run = db.session.query(WorkflowRun).filter_by(workflow_id=uuid.UUID(workflow_id)).one()
        assert run.status == "succeeded" and run.invoke_from == "debugger"
        assert run.outputs["total"] == 42
        stored_nodes = db.session.query(WorkflowNodeRun).filter_by(run_id=run.id).order_by(WorkflowNodeRun.position).all()
        assert [n.title for n in stored_nodes] == order

    # Published, bound to an agent, called by it as a tool with the start node's inputs.
    assert success_data(client.post(f"/workflows/{workflow_id}/publish", headers=member.headers)) == {}
    app_id, agent_marker = chat_app(client, member, workflows=[workflow_id])
    llm.script_chat(marker, "每周三晚上八点。")
    llm.script_chat(
        agent_marker,
        ChatReply(tool_calls=[ToolCall("course_helper", {"query": "什么时候上课", "n": 5})]),
        "每周三晚上八点上课。",
    )
    events = debug_chat(client, member, app_id, "什么时候上课？")
    actions = [e["data"] for e in events if e["event"] == "agent_action"]
    # Each node of the workflow's run shows as a step (its title as the thought), then the call itself.
    *steps, action = actions
    assert {step["thought"] for step in steps} == {n["title"] for n in nodes}
    assert all(step["tool"] == "course_helper" and isinstance(step["latency"], float) for step in steps)
    code_step = next(step for step in steps if step["thought"] == "代码")
    assert code_step["tool_input"] == {"n": 5} and json.loads(code_step["observation"]) == {"total": 10}
    assert action["tool"] == "course_helper" and action["thought"] == ""
    assert action["tool_input"] == {"query": "什么时候上课", "n": 5}
    assert '"total": 10' in action["observation"]
    agent_call = llm.chat_requests(agent_marker)[0]
    [tool_spec] = [t for t in agent_call["tools"] if t["function"]["name"] == "course_helper"]
    assert tool_spec["function"]["description"] == "回答课程问题"
    assert set(tool_spec["function"]["parameters"]["properties"]) == {"query", "n"}


def test_flat_and_wrapped_inputs_and_validation_before_any_stream(client, member):
    workflow_id = new_workflow(client, member)
    save(client, member, workflow_id, *simple_graph())

    flat = read_events(debug(client, member, workflow_id, {"name": "小明"}))
    wrapped = read_events(debug(client, member, workflow_id, {"inputs": {"name": "小红"}}))
    assert flat[-1]["data"]["outputs"] == {"greeting": "你好，小明"}
    assert wrapped[-1]["data"]["outputs"] == {"greeting": "你好，小红"}

    # A required input missing: an envelope naming it, no stream.
    assert_validate_error(debug(client, member, workflow_id, {}), "inputs.name")
    # An invalid graph (the end node cut off): an envelope naming the node, no stream.
    nodes, graph_edges = simple_graph()
    save(client, member, workflow_id, nodes, graph_edges[:1])
    resp = debug(client, member, workflow_id, {"name": "小明"})
    assert resp.mimetype == "application/json"
    assert resp.json["code"] == "validate_error"
    assert get_workflow(client, member, workflow_id)["is_debug_passed"] is False


def test_a_failing_node_fails_the_run_with_its_error(client, member):
    workflow_id = new_workflow(client, member)
    start = node("start", "开始", inputs=[var("n", type_="int")])
    code = node(
        "code",
        "除法",
        code="def main(params):\n    return {'q': 1 / params['n']}\n",
        inputs=[var("n", ref(start["id"], "n"), type_="int")],
        outputs=[var("q", type_="float")],
    )
    end = node("end", "结束", outputs=[var("q", ref(code["id"], "q"), type_="float")])
    save(client, member, workflow_id, [start, code, end], edges((start, code), (code, end)))

    events = read_events(debug(client, member, workflow_id, {"n": 0}))
    failed = [e["data"] for e in events if e["data"]["status"] == "failed"]
    assert [f["node_data"]["title"] for f in failed] == ["除法"]
    assert "ZeroDivisionError" in failed[0]["error"]
    assert "结束" not in [e["data"]["node_data"]["title"] for e in events]
    assert get_workflow(client, member, workflow_id)["is_debug_passed"] is False

    ok = read_events(debug(client, member, workflow_id, {"n": 4}))
    assert ok[-1]["data"]["outputs"] == {"q": 0.25}
    assert get_workflow(client, member, workflow_id)["is_debug_passed"] is True

    # Both runs can be looked at afterwards, newest first, each node as it finished.
    runs = success_data(client.get(f"/workflows/{workflow_id}/runs", headers=member.headers))["list"]
    assert [(r["status"], r["inputs"], r["outputs"]) for r in runs] == [
        ("succeeded", {"n": 4}, {"q": 0.25}),
        ("failed", {"n": 0}, {}),
    ]
    assert "ZeroDivisionError" in runs[1]["error"]
    detail = success_data(client.get(f"/workflows/{workflow_id}/runs/{runs[1]['id']}", headers=member.headers))
    assert [(n["title"], n["status"]) for n in detail["nodes"]] == [("开始", "succeeded"), ("除法", "failed")]
    assert detail["nodes"][1]["inputs"] == {"n": 0}
    assert [n["id"] for n in detail["graph"]["nodes"]] == [start["id"], code["id"], end["id"]]


def test_another_accounts_workflow_and_runs_are_not_found(client, member, other_member):
    workflow_id = new_workflow(client, member)
    save(client, member, workflow_id, *simple_graph())
    read_events(debug(client, member, workflow_id, {"name": "x"}))
    [run] = success_data(client.get(f"/workflows/{workflow_id}/runs", headers=member.headers))["list"]
    assert_not_found(debug(client, other_member, workflow_id, {"name": "x"}))
    assert_not_found(client.get(f"/workflows/{workflow_id}/runs", headers=other_member.headers))
    assert_not_found(client.get(f"/workflows/{workflow_id}/runs/{run['id']}", headers=other_member.headers))
    other_workflow = new_workflow(client, other_member)
    assert_not_found(client.get(f"/workflows/{other_workflow}/runs/{run['id']}", headers=other_member.headers))


def test_unpublished_workflow_is_dropped_from_the_agent(client, member, llm):
    workflow_id = new_workflow(client, member)
    save(client, member, workflow_id, *simple_graph())
    read_events(debug(client, member, workflow_id, {"name": "x"}))
    success_data(client.post(f"/workflows/{workflow_id}/publish", headers=member.headers))
    app_id, marker = chat_app(client, member, workflows=[workflow_id])
    success_data(client.post(f"/workflows/{workflow_id}/cancel-publish", headers=member.headers))
    success_data(client.post(f"/workflows/{workflow_id}/publish", headers=member.headers))

    llm.script_chat(marker, "好的。")
    debug_chat(client, member, app_id, "你好")
    [call] = llm.chat_requests(marker)
    assert not call.get("tools")
    assert_updated(update_draft(client, member, app_id, {"workflows": [workflow_id]}))


ESCAPES = {
    "the token-signing key": "def main(params):\n    return {'out': open(params['path']).read()}\n",
    "the database port": (
        "import socket\n"
        "def main(params):\n"
        "    s = socket.create_connection(('127.0.0.1', 5432), timeout=2)\n"
        "    return {'out': 'connected'}\n"
    ),
    "a process": "import os\ndef main(params):\n    os.system('touch /tmp/escaped')\n    return {'out': 'ran'}\n",
}


@pytest.mark.parametrize("target", list(ESCAPES))
def test_code_nodes_cannot_reach_secrets_network_or_processes(app, client, member, target):
    """Through the whole path (debug endpoint → engine → sandbox): each attempt fails its node with
    an error, the run fails, and the server goes on answering."""
    start = node("start", "开始", inputs=[var("path")])
    code = node(
        "code", "代码", code=ESCAPES[target], inputs=[var("path", ref(start["id"], "path"))], outputs=[var("out")]
    )
    end = node("end", "结束", outputs=[var("out", ref(code["id"], "out"))])
    workflow_id = new_workflow(client, member)
    save(client, member, workflow_id, [start, code, end], edges((start, code), (code, end)))
    key_path = str(app.extensions["injector"].get(Settings).storage_dir / "jwt_secret_key")

    events = read_events(debug(client, member, workflow_id, {"path": key_path}))
    failed = [e["data"] for e in events if e["data"]["status"] == "failed"]
    assert [f["node_data"]["title"] for f in failed] == ["代码"], events
    assert failed[0]["error"] and failed[0]["outputs"] == {}
    assert get_workflow(client, member, workflow_id)["is_debug_passed"] is False
