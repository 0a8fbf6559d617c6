"""AI Stack task agent (aistack-api.md "任务代理", port 8017): tasks CRUD with listing, decomposition
by the model (structured output, validated, stored as subtasks), background runs on the agent
runtime one step per subtask (the fake model scripted per step), monitoring, cancelling, the
sweep of runs whose worker vanished, ownership and the model being unavailable."""

import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from config import Settings
from internal.aistack.task_agent.models import AgentSubtask, AgentTask
from internal.aistack.task_agent.run_service import TaskRunService
from internal.extension.database import db, utcnow
from test.aistack.client import AIStackClient, assert_error, data_of, issue_token
from test.api.knowledge_base import wait_for
from test.conftest import create_member
from test.fakes.openai_server import ChatReply, ToolCall, conversation_text

SYSTEM = "tasks"
FINISHED = ("completed", "failed", "cancelled")
POLL_INTERVAL = 0.2


@pytest.fixture
def agent(app, client) -> AIStackClient:
    """A signed-in caller on the main server's prefix (the address matters in one test only)."""
    return _caller(app, client, "prefix")


def _caller(app, client, via: str) -> AIStackClient:
    member = create_member(app, client, name="Tasks")
    stack = AIStackClient(client, issue_token(client, member.email, member.password), via)
    stack.member = member
    return stack


def create(stack: AIStackClient, **body) -> dict:
    return data_of(stack.post(SYSTEM, "/api/tasks", json={"name": f"任务-{uuid.uuid4().hex[:6]}", **body}), 201)


def decomposition(*subtasks) -> ChatReply:
    """The model's function call answering a decomposition request."""
    items = [{"name": name, "estimated_hours": hours} for name, hours in subtasks]
    return ChatReply(tool_calls=[ToolCall("TaskDecomposition", {"subtasks": items})])


def step(marker: str, number: int):
    """Matches the model requests of step `number` of the task marked `marker`."""
    return lambda body: marker in (text := conversation_text(body)) and f"现在执行第{number}/" in text


def decompose_into(stack, llm, task: dict, *subtasks) -> dict:
    llm.script_chat(task["name"], decomposition(*subtasks))
    return data_of(stack.post(SYSTEM, "/api/tasks/decompose", json={"task": task["name"], "task_id": task["task_id"]}))


def monitor(stack, task_id: int) -> dict:
    return data_of(stack.get(SYSTEM, f"/api/tasks/{task_id}/monitor"))


def wait_until(app, stack, task_id: int, condition, what: str) -> dict:
    def check():
        time.sleep(POLL_INTERVAL)
        state = monitor(stack, task_id)
        return state if condition(state) else None

    return wait_for(app, check, what)


def run_to_end(app, stack, task_id: int) -> dict:
    started = data_of(stack.post(SYSTEM, f"/api/tasks/{task_id}/execute"), 202)
    assert started["status"] in ("queued", "running", "completed"), started
    return wait_until(app, stack, task_id, lambda s: s["status"] in FINISHED, f"task {task_id} to finish")


# --- CRUD ------------------------------------------------------------------------------------------


def test_create_read_update_delete_through_the_port(app, client):
    stack = _caller(app, client, "port")
    task = create(stack, name="  任务名称 ", description="任务描述", priority="high", deadline="2025-11-15")
    assert (task["name"], task["description"], task["priority"], task["deadline"]) == ("任务名称", "任务描述", "high", "2025-11-15")
    assert task["status"] == "pending" and task["subtasks"] == [] and task["created_at"].endswith("Z")

    assert data_of(stack.get(SYSTEM, f"/api/tasks/{task['task_id']}")) == task
    updated = data_of(stack.put(SYSTEM, f"/api/tasks/{task['task_id']}", json={"priority": "urgent", "deadline": None}))
    assert (updated["priority"], updated["deadline"], updated["name"]) == ("urgent", None, "任务名称")

    assert data_of(stack.delete(SYSTEM, f"/api/tasks/{task['task_id']}")) == {"task_id": task["task_id"], "deleted": True}
    assert_error(stack.get(SYSTEM, f"/api/tasks/{task['task_id']}"), 404, "RESOURCE_NOT_FOUND")


def test_invalid_input_names_the_field(agent):
    assert_error(agent.post(SYSTEM, "/api/tasks", json={"name": "  "}), 400, "INVALID_INPUT", "name")
    assert_error(agent.post(SYSTEM, "/api/tasks", json={"name": "x", "priority": "soon"}), 400, "INVALID_INPUT", "priority")
    assert_error(agent.post(SYSTEM, "/api/tasks", json={"name": "x", "deadline": "tomorrow"}), 400, "INVALID_INPUT", "deadline")
    task = create(agent)
    assert_error(agent.put(SYSTEM, f"/api/tasks/{task['task_id']}", json={"name": ""}), 400, "INVALID_INPUT", "name")
    assert_error(agent.get(SYSTEM, "/api/tasks", query_string={"sort": "colour"}), 400, "INVALID_INPUT", "sort")
    assert_error(agent.get(SYSTEM, "/api/tasks", query_string={"filter[priority]": "x"}), 400, "INVALID_INPUT")
    assert_error(agent.post(SYSTEM, "/api/tasks/decompose", json={"task": ""}), 400, "INVALID_INPUT", "task")


def test_list_filters_and_sorts_by_priority_and_deadline(agent):
    low = create(agent, priority="low", deadline="2025-12-01")
    urgent = create(agent, priority="urgent", deadline="2025-11-10")
    high = create(agent, priority="high", deadline="2025-11-20")

    def ids(**query):
        resp = agent.get(SYSTEM, "/api/tasks", query_string=query)
        return [row["task_id"] for row in data_of(resp)], resp.json["pagination"]

    by_priority, pagination = ids(sort="priority", order="desc")
    assert by_priority == [urgent["task_id"], high["task_id"], low["task_id"]]
    assert pagination == {"page": 1, "page_size": 20, "total_items": 3, "total_pages": 1}
    assert ids(sort="deadline", order="asc")[0] == [urgent["task_id"], high["task_id"], low["task_id"]]
    assert ids(sort="created_at", order="asc")[0] == [low["task_id"], urgent["task_id"], high["task_id"]]
    assert ids(**{"filter[priority]": "high"})[0] == [high["task_id"]]
    assert ids(**{"filter[status]": "completed"})[0] == []
    assert ids(page=2, page_size=2, sort="priority")[0] == [low["task_id"]]


def test_another_accounts_task_is_not_found(agent, other_aistack, llm):
    task = create(agent)
    path = f"/api/tasks/{task['task_id']}"
    for resp in (
        other_aistack.get(SYSTEM, path),
        other_aistack.put(SYSTEM, path, json={"name": "mine"}),
        other_aistack.delete(SYSTEM, path),
        other_aistack.post(SYSTEM, f"{path}/execute"),
        other_aistack.get(SYSTEM, f"{path}/monitor"),
        other_aistack.post(SYSTEM, f"{path}/cancel"),
        other_aistack.post(SYSTEM, "/api/tasks/decompose", json={"task": "x", "task_id": task["task_id"]}),
    ):
        assert_error(resp, 404, "RESOURCE_NOT_FOUND")
    assert data_of(other_aistack.get(SYSTEM, "/api/tasks")) == []
    for too_large in (f"/api/tasks/{2**31}", f"/api/tasks/{2**63}/monitor"):
        assert_error(agent.get(SYSTEM, too_large), 404, "RESOURCE_NOT_FOUND")
    assert data_of(agent.get(SYSTEM, path))["name"] == task["name"]


# --- decomposition ---------------------------------------------------------------------------------


def test_decompose_answers_the_documents_shape_and_stores_subtasks(agent, llm):
    marker = uuid.uuid4().hex[:8]
    llm.script_chat(marker, decomposition(("需求分析", 8), ("设计数据库", 4)))
    data = data_of(agent.post(SYSTEM, "/api/tasks/decompose", json={"task": f"开发一个Web应用 {marker}"}))
    assert data == {"subtasks": [{"name": "需求分析", "estimated_hours": 8}, {"name": "设计数据库", "estimated_hours": 4}],
                    "total_estimated_hours": 12, "task_id": None}  # fmt: skip
    [request] = llm.chat_requests(marker)
    assert request["tools"][0]["function"]["name"] == "TaskDecomposition"

    task = create(agent)
    stored = decompose_into(agent, llm, task, ("写代码", 3.5), ("测试", 1))
    assert stored["task_id"] == task["task_id"]
    subtasks = data_of(agent.get(SYSTEM, f"/api/tasks/{task['task_id']}"))["subtasks"]
    assert [(s["position"], s["name"], s["estimated_hours"], s["status"]) for s in subtasks] == [
        (1, "写代码", 3.5, "pending"), (2, "测试", 1, "pending")
    ]  # fmt: skip
    # A second decomposition replaces them.
    decompose_into(agent, llm, task, ("重写", 2))
    assert [s["name"] for s in data_of(agent.get(SYSTEM, f"/api/tasks/{task['task_id']}"))["subtasks"]] == ["重写"]


def test_a_broken_decomposition_is_asked_again_then_refused(agent, llm, app):
    marker = uuid.uuid4().hex[:8]
    llm.script_chat(marker, decomposition((" ", 2), ("b", 1)), decomposition(("a", 2), ("b", 1)))
    data = data_of(agent.post(SYSTEM, "/api/tasks/decompose", json={"task": marker}))
    assert [s["name"] for s in data["subtasks"]] == ["a", "b"]
    retry = llm.chat_requests(marker)[-1]
    assert "broke the rules" in conversation_text(retry) and "subtasks.0.name" in conversation_text(retry)

    marker = uuid.uuid4().hex[:8]
    llm.script_chat(marker, decomposition(("a", 0)), decomposition())
    error = assert_error(agent.post(SYSTEM, "/api/tasks/decompose", json={"task": marker}), 503, "SERVICE_UNAVAILABLE")
    assert "no subtasks" in error["message"]

    # More subtasks than the limit: the first ones are kept.
    limit = app.extensions["injector"].get(Settings).aistack_tasks.aistack_tasks_max_subtasks
    marker = uuid.uuid4().hex[:8]
    llm.script_chat(marker, decomposition(*[(f"s{i}", 1) for i in range(limit + 5)]))
    assert len(data_of(agent.post(SYSTEM, "/api/tasks/decompose", json={"task": marker}))["subtasks"]) == limit


def test_without_a_usable_model_decompose_and_execute_are_unavailable(agent, app, llm):
    task = create(agent)
    settings = app.extensions["injector"].get(Settings).aistack_tasks
    settings.aistack_tasks_model_provider = "no-such-provider"
    try:
        decompose = agent.post(SYSTEM, "/api/tasks/decompose", json={"task": "x"})
        execute = agent.post(SYSTEM, f"/api/tasks/{task['task_id']}/execute")
    finally:
        settings.aistack_tasks_model_provider = ""
    assert "AISTACK_TASKS_MODEL" in assert_error(decompose, 503, "SERVICE_UNAVAILABLE")["message"]
    assert_error(execute, 503, "SERVICE_UNAVAILABLE")
    assert monitor(agent, task["task_id"])["status"] == "pending"

    marker = uuid.uuid4().hex[:8]
    llm.script_chat(marker, ChatReply(status=500, error_message="model down"))
    assert_error(agent.post(SYSTEM, "/api/tasks/decompose", json={"task": marker}), 503, "SERVICE_UNAVAILABLE")


# --- execution -------------------------------------------------------------------------------------


def test_execute_runs_one_agent_step_per_subtask_with_tools(app, agent, llm):
    task = create(agent, description="算出结果")
    marker = task["name"]
    decompose_into(agent, llm, task, ("计算总工时", 1), ("写总结", 2))
    llm.script_chat(
        step(marker, 1),
        ChatReply(tool_calls=[ToolCall("calculator", {"expression": "(3 + 5) * 2"})]),
        "总工时是16小时",
    )
    llm.script_chat(step(marker, 2), "总结：共16小时")

    done = run_to_end(app, agent, task["task_id"])
    assert done["status"] == "completed", done
    assert (done["progress"], done["completed_steps"], done["total_steps"]) == (1.0, 2, 2)
    assert done["result"] == "总结：共16小时" and done["error"] == ""
    assert done["started_at"].endswith("Z") and done["duration_seconds"] >= 0
    first, second = done["steps"]
    assert (first["status"], first["output"]) == ("completed", "总工时是16小时")
    [call] = first["tool_calls"]
    assert call["tool"] == "calculator" and call["input"] == {"expression": "(3 + 5) * 2"} and "16" in call["output"]
    assert second["status"] == "completed" and second["tool_calls"] == []
    assert first["duration_seconds"] >= 0 and second["started_at"] >= first["completed_at"]
    # Step 2 saw step 1's result; the agent was offered the run's tools.
    [step_two] = llm.chat_requests(step(marker, 2))
    assert "总工时是16小时" in conversation_text(step_two)
    assert {t["function"]["name"] for t in step_two["tools"]} == {"calculator", "current_time"}
    assert data_of(agent.get(SYSTEM, f"/api/tasks/{task['task_id']}"))["status"] == "completed"


def test_a_task_without_subtasks_runs_as_one_step_through_the_port(app, client, llm):
    stack = _caller(app, client, "port")
    task = create(stack)
    llm.script_chat(step(task["name"], 1), "完成了")
    done = run_to_end(app, stack, task["task_id"])
    assert done["status"] == "completed" and done["result"] == "完成了", done
    assert [(s["name"], s["status"]) for s in done["steps"]] == [(task["name"], "completed")]


def test_a_failing_step_fails_the_task_and_executing_again_resumes_there(app, agent, llm):
    task = create(agent)
    marker = task["name"]
    decompose_into(agent, llm, task, ("第一步", 1), ("第二步", 1))
    llm.script_chat(step(marker, 1), "一完成")
    llm.script_chat(step(marker, 2), ChatReply(status=500, error_message="model down"))
    failed = run_to_end(app, agent, task["task_id"])
    assert failed["status"] == "failed" and "第2步「第二步」执行失败" in failed["error"], failed
    assert [s["status"] for s in failed["steps"]] == ["completed", "failed"]
    assert_error(agent.post(SYSTEM, f"/api/tasks/{task['task_id']}/cancel"), 400, "INVALID_INPUT", "task_id")

    llm.script_chat(step(marker, 2), "二完成")
    done = run_to_end(app, agent, task["task_id"])
    assert done["status"] == "completed" and done["result"] == "二完成", done
    assert [s["output"] for s in done["steps"]] == ["一完成", "二完成"]
    assert len(llm.chat_requests(step(marker, 1))) == 1  # the completed step was not run again


def test_a_running_task_can_be_cancelled(app, agent, llm):
    task = create(agent)
    marker = task["name"]
    decompose_into(agent, llm, task, ("慢的一步", 1), ("不会执行", 1))
    llm.script_chat(step(marker, 1), ChatReply(text="太晚了", delay=3))
    data_of(agent.post(SYSTEM, f"/api/tasks/{task['task_id']}/execute"), 202)
    running = wait_until(app, agent, task["task_id"], lambda s: s["current_step"] == 1, "step 1 to start")
    assert running["status"] == "running" and running["steps"][0]["status"] == "running"
    # Busy tasks refuse changes that would race with the run.
    assert_error(agent.post(SYSTEM, f"/api/tasks/{task['task_id']}/execute"), 400, "INVALID_INPUT", "task_id")
    assert_error(agent.delete(SYSTEM, f"/api/tasks/{task['task_id']}"), 400, "INVALID_INPUT", "task_id")

    cancelled = data_of(agent.post(SYSTEM, f"/api/tasks/{task['task_id']}/cancel"))
    assert cancelled["status"] == "cancelled" and cancelled["error"] == "任务已取消"
    assert [s["status"] for s in cancelled["steps"]] == ["cancelled", "pending"]
    # The run stops once the model answers (the step records it stopped); no further step starts.
    state = wait_until(app, agent, task["task_id"], lambda s: s["steps"][0]["error"], "the run to stop")
    assert state["steps"][0]["error"] == "任务已取消，这一步在完成前停止", state
    assert state["status"] == "cancelled" and [s["status"] for s in state["steps"]] == ["cancelled", "pending"]
    assert llm.chat_requests(step(marker, 2)) == []
    assert data_of(agent.delete(SYSTEM, f"/api/tasks/{task['task_id']}"))["deleted"] is True


def test_the_sweep_fails_runs_whose_worker_vanished_and_executing_resumes(app, agent, llm):
    """A run left `running` (its worker died) or `queued` (the embedded queue went with a restart)
    long ago is failed by the periodic sweep, keeping its completed steps; a recent one is left."""
    stale, recent, lost = create(agent), create(agent), create(agent)
    decompose_into(agent, llm, stale, ("已完成", 1), ("进行中", 1))
    with app.app_context():
        long_ago = utcnow() - timedelta(days=1)
        rows = {row.id: row for row in db.session.scalars(select(AgentTask).where(AgentTask.id.in_(
            [stale["task_id"], recent["task_id"], lost["task_id"]])))}  # fmt: skip
        rows[stale["task_id"]].status, rows[stale["task_id"]].heartbeat_at = "running", long_ago
        rows[recent["task_id"]].status, rows[recent["task_id"]].heartbeat_at = "running", utcnow()
        rows[lost["task_id"]].status, rows[lost["task_id"]].heartbeat_at = "queued", long_ago
        for sub in db.session.scalars(select(AgentSubtask).where(AgentSubtask.task_id == stale["task_id"])):
            sub.status, sub.output = ("completed", "旧结果") if sub.position == 1 else ("running", "")
        db.session.commit()
        app.extensions["injector"].get(TaskRunService).sweep_stale_runs()
        db.session.remove()

    states = [monitor(agent, t["task_id"]) for t in (stale, recent, lost)]
    assert [s["status"] for s in states] == ["failed", "running", "failed"]
    assert "中断" in states[0]["error"] and [s["status"] for s in states[0]["steps"]] == ["completed", "failed"]

    llm.script_chat(step(stale["name"], 2), "续上了")
    done = run_to_end(app, agent, stale["task_id"])
    assert done["status"] == "completed" and [s["output"] for s in done["steps"]] == ["旧结果", "续上了"], done
    with app.app_context():
        db.session.get(AgentTask, recent["task_id"]).status = "failed"
        db.session.commit()
        db.session.remove()
