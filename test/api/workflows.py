"""Building blocks for the workflow tests: workflows and graphs made through the API, in the
shapes the editors send, and the one state only a debug run sets (`is_debug_passed`)."""

import uuid

from internal.extension.database import db
from internal.model import Workflow
from test.api.assertions import success_data

WORKFLOW_ICON = "https://cdn.example.com/workflow.png"


def workflow_body(name: str = "天气助手", tool_call_name: str | None = None, **fields) -> dict:
    return {
        "name": name,
        "tool_call_name": tool_call_name or f"wf_{uuid.uuid4().hex[:10]}",
        "icon": WORKFLOW_ICON,
        "description": "查询城市天气并给出穿衣建议",
        **fields,
    }


def create_workflow(client, member, name: str = "天气助手", **fields) -> str:
    resp = client.post("/workflows", json=workflow_body(name, **fields), headers=member.headers)
    return success_data(resp)["id"]


def get_workflow(client, member, workflow_id) -> dict:
    return success_data(client.get(f"/workflows/{workflow_id}", headers=member.headers))


def get_graph(client, member, workflow_id) -> dict:
    return success_data(client.get(f"/workflows/{workflow_id}/draft-graph", headers=member.headers))


def save_graph(client, member, workflow_id, graph: dict):
    return client.post(f"/workflows/{workflow_id}/draft-graph", json=graph, headers=member.headers)


def assert_saved(resp) -> None:
    assert resp.json == {"code": "success", "data": {}, "message": "更新工作流图草稿配置成功"}, resp.json


def publish_workflow(client, member, workflow_id):
    return client.post(f"/workflows/{workflow_id}/publish", headers=member.headers)


def cancel_publish_workflow(client, member, workflow_id):
    return client.post(f"/workflows/{workflow_id}/cancel-publish", headers=member.headers)


def mark_debug_passed(app, workflow_id, passed: bool = True) -> None:
    """What a successful debug run records (the debug endpoint is the only door that sets it)."""
    with app.app_context():
        db.session.get(Workflow, uuid.UUID(workflow_id)).is_debug_passed = passed
        db.session.commit()


def publish_checked(app, client, member, workflow_id) -> None:
    """Publish a workflow whose draft is valid, as if it had just passed a debug run."""
    mark_debug_passed(app, workflow_id)
    resp = publish_workflow(client, member, workflow_id)
    assert resp.json == {"code": "success", "data": {}, "message": "发布工作流成功"}, resp.json


# --- graphs -------------------------------------------------------------------------------------


def ref(node_id: str, var_name: str) -> dict:
    return {"type": "ref", "content": {"ref_node_id": node_id, "ref_var_name": var_name}}


def literal(content) -> dict:
    return {"type": "literal", "content": content}


def variable(name: str, var_type: str = "string", value: dict | None = None, **fields) -> dict:
    body = {"name": name, "type": var_type, "description": "", "required": True, **fields}
    if value is not None:
        body["value"] = value
    return body


def node(node_type: str, title: str, x: float = 0, y: float = 0, node_id: str | None = None, **fields) -> dict:
    return {
        "id": node_id or str(uuid.uuid4()),
        "node_type": node_type,
        "title": title,
        "description": "",
        "position": {"x": x, "y": y},
        **fields,
    }


def edge(source: dict, target: dict) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "source": source["id"],
        "source_type": source["node_type"],
        "target": target["id"],
        "target_type": target["node_type"],
    }


def chain(*nodes: dict) -> dict:
    """A graph of `nodes` linked one after the other."""
    return {"nodes": list(nodes), "edges": [edge(a, b) for a, b in zip(nodes, nodes[1:])]}


def start_node(*inputs: dict, **fields) -> dict:
    return node("start", "开始", inputs=list(inputs) or [variable("query")], **fields)


def end_node(*outputs: dict, **fields) -> dict:
    return node("end", "结束", x=800, outputs=list(outputs), **fields)


def llm_node(start: dict, title: str = "大语言模型", **fields) -> dict:
    return node(
        "llm",
        title,
        x=300,
        prompt="请回答：{{query}}",
        model_config={"provider": "openai", "model": "gpt-4o-mini", "parameters": {"temperature": 0.5}},
        inputs=[variable("query", value=ref(start["id"], "query"))],
        **fields,
    )


def code_node(start: dict, code: str = "def main(params):\n    return {'n': len(params['query'])}\n", **fields) -> dict:
    return node(
        "code",
        "代码",
        x=300,
        code=code,
        inputs=[variable("query", value=ref(start["id"], "query"))],
        outputs=[variable("n", "int", value={"type": "generated", "content": ""})],
        **fields,
    )


def sample_graph() -> dict:
    """start(query) → llm → end(answer = llm.output): valid with the fake LLM's catalog model."""
    start = start_node()
    llm = llm_node(start)
    end = end_node(variable("answer", value=ref(llm["id"], "output")))
    return chain(start, llm, end)
