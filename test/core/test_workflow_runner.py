"""The workflow engine running real graphs: order, concurrency, failures, timeouts, variables."""

import threading
import time
from contextlib import contextmanager

import pytest

from internal.core.workflow import NodeStatus, WorkflowRunner, coerce_inputs
from internal.core.workflow.entities import EndNode, HttpRequestNode, StartNode, TemplateTransformNode, Variable
from internal.exception import ValidateErrorException
from test.core.workflows import declared, graph, literal, make_ports, ref
from test.fakes.http_server import Reply
from test.fakes.scripted_server import ScriptedServer


@pytest.fixture
def serve():
    started: list[ScriptedServer] = []

    def start(route) -> ScriptedServer:
        server = ScriptedServer(route).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def greeting_graph():
    return graph(
        [
            StartNode(id="start", title="开始", inputs=[declared("name"), declared("n", "int")]),
            TemplateTransformNode(
                id="greet", title="问候", template="{{ name }} × {{ n * 2 }}", inputs=[ref("start", "name"), ref("start", "n", type="int")]
            ),
            EndNode(id="end", title="结束", inputs=[ref("greet", "output", "text")]),
        ],
        ("start", "greet"),
        ("greet", "end"),
    )


def test_nodes_run_in_dependency_order_and_each_reports_as_it_finishes():
    events = []
    result = WorkflowRunner(make_ports()).run(greeting_graph(), {"name": "世界", "n": "21"}, on_node=events.append)

    assert result.status == NodeStatus.SUCCEEDED and result.error == ""
    assert result.outputs == {"text": "世界 × 42"}
    assert [r.node.id for r in events] == ["start", "greet", "end"]
    assert result.node_results == events
    data = [r.event_data() for r in events]
    assert data[0]["inputs"] == {"name": "世界", "n": 21} and data[0]["outputs"] == {"name": "世界", "n": 21}
    assert data[1]["inputs"] == {"name": "世界", "n": 21} and data[1]["outputs"] == {"output": "世界 × 42"}
    assert data[2]["outputs"] == result.outputs
    greet = data[1]
    assert greet["status"] == "succeeded" and greet["error"] == ""
    assert isinstance(greet["latency"], float) and greet["latency"] >= 0
    assert greet["node_data"]["id"] == "greet"
    assert greet["node_data"]["node_type"] == greet["node_data"]["type"] == "template_transform"
    assert greet["node_data"]["title"] == "问候" and greet["node_data"]["description"] == ""
    assert greet["node_data"]["template"] == "{{ name }} × {{ n * 2 }}"
    assert len({d["id"] for d in data}) == 3


def test_events_arrive_on_the_calling_thread_and_nodes_run_inside_the_node_context():
    entered = []

    @contextmanager
    def node_context():
        entered.append(threading.current_thread().name)
        yield

    callers = []
    WorkflowRunner(make_ports(node_context=node_context)).run(
        greeting_graph(), {"name": "a", "n": 1}, on_node=lambda r: callers.append(threading.current_thread())
    )
    assert callers == [threading.current_thread()] * 3
    assert len(entered) == 3 and all(name.startswith("workflow-node") for name in entered)


def test_independent_branches_run_at_the_same_time(serve):
    # Each request waits at the barrier for the other one: run one after the other, both fail.
    barrier = threading.Barrier(2, timeout=10)

    def route(request):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return Reply(500, "the other branch never came")
        return Reply(200, request.path)

    server = serve(route)
    nodes = [StartNode(id="start", title="开始")]
    for branch in ("left", "right"):
        nodes.append(HttpRequestNode(id=branch, title=branch, url=f"{server.url}/{branch}"))
    nodes.append(EndNode(id="end", title="结束", inputs=[ref("left", "text", "left"), ref("right", "text", "right")]))
    workflow = graph(nodes, ("start", "left"), ("start", "right"), ("left", "end"), ("right", "end"))

    result = WorkflowRunner(make_ports()).run(workflow, {})

    assert result.status == NodeStatus.SUCCEEDED, result.error
    assert result.outputs == {"left": "/left", "right": "/right"}
    assert [r.node.id for r in result.node_results][-1] == "end"


def test_a_failed_node_fails_the_run_and_nodes_after_it_never_run(serve):
    server = serve(lambda request: Reply(200, "ok"))
    workflow = graph(
        [
            StartNode(id="start", title="开始"),
            TemplateTransformNode(id="bad", title="坏模板", template="{{ ''.__class__ }}"),
            HttpRequestNode(id="after", title="之后", url=server.url),
            EndNode(id="end", title="结束", inputs=[ref("after", "text")]),
        ],
        ("start", "bad"),
        ("bad", "after"),
        ("after", "end"),
    )
    events = []
    result = WorkflowRunner(make_ports()).run(workflow, {}, on_node=events.append)

    assert result.status == NodeStatus.FAILED
    assert [(r.node.id, r.status) for r in events] == [("start", NodeStatus.SUCCEEDED), ("bad", NodeStatus.FAILED)]
    failed = events[-1].event_data()
    assert failed["status"] == "failed" and failed["outputs"] == {}
    assert "__class__" in failed["error"] and failed["error"].startswith("template:")
    assert result.error == failed["error"]
    assert result.outputs == {}
    assert server.requests == []


def test_a_node_past_its_timeout_fails_with_a_timeout_error(serve):
    release = threading.Event()
    server = serve(lambda request: Reply(200, "late") if release.wait(30) else Reply(500))
    workflow = graph(
        [
            StartNode(id="start", title="开始"),
            HttpRequestNode(id="slow", title="慢接口", url=server.url),
            EndNode(id="end", title="结束", inputs=[ref("slow", "text")]),
        ],
        ("start", "slow"),
        ("slow", "end"),
    )
    try:
        result = WorkflowRunner(make_ports(node_timeout=0.2)).run(workflow, {})
    finally:
        release.set()

    assert result.status == NodeStatus.FAILED
    assert result.error == "节点执行超时（超过0.2秒）"
    assert [(r.node.id, r.status) for r in result.node_results] == [
        ("start", NodeStatus.SUCCEEDED),
        ("slow", NodeStatus.FAILED),
    ]


def test_the_run_deadline_cuts_a_node_short_and_a_passed_deadline_runs_nothing(serve):
    release = threading.Event()
    server = serve(lambda request: Reply(200, "late") if release.wait(30) else Reply(500))
    workflow = graph(
        [StartNode(id="start", title="开始"), HttpRequestNode(id="slow", title="慢接口", url=server.url), EndNode(id="end", title="结束")],
        ("start", "slow"),
        ("slow", "end"),
    )
    runner = WorkflowRunner(make_ports(node_timeout=60))
    try:
        result = runner.run(workflow, {}, deadline=time.monotonic() + 0.2)
    finally:
        release.set()
    assert result.status == NodeStatus.FAILED and result.error == "工作流运行超时"
    assert result.node_results[-1].node.id == "slow"

    expired = runner.run(workflow, {}, deadline=time.monotonic() - 1)
    assert [(r.node.id, r.error) for r in expired.node_results] == [("start", "工作流运行超时")]


def test_references_and_literals_are_read_as_their_declared_types():
    workflow = graph(
        [
            StartNode(id="start", title="开始", inputs=[declared("n", "int"), declared("flag", "boolean"), declared("note", required=False)]),
            EndNode(
                id="end",
                title="结束",
                inputs=[
                    ref("start", "n", "n_as_text"),  # an int read by a string input
                    ref("start", "n", "n_as_float", type="float"),
                    ref("start", "flag", type="boolean"),
                    ref("start", "note"),
                    literal("count", "3", "int"),
                    literal("ratio", "2.5", "float"),
                    literal("yes", "true", "boolean"),
                    literal("no", "False", "boolean"),
                    literal("words", "原样"),
                    literal("blank", "", "int"),
                    Variable(name="made_later", type="int", value={"type": "generated", "content": ""}),
                ],
            ),
        ],
        ("start", "end"),
    )
    result = WorkflowRunner(make_ports()).run(workflow, {"n": "7", "flag": "true"})

    assert result.outputs == {
        "n_as_text": "7",
        "n_as_float": 7.0,
        "flag": True,
        "note": "",
        "count": 3,
        "ratio": 2.5,
        "yes": True,
        "no": False,
        "words": "原样",
        "blank": None,
        "made_later": None,
    }


def test_a_literal_that_is_not_its_type_fails_its_node_naming_the_input():
    workflow = graph(
        [StartNode(id="start", title="开始"), EndNode(id="end", title="结束", inputs=[literal("count", "three", "int")])],
        ("start", "end"),
    )
    result = WorkflowRunner(make_ports()).run(workflow, {})
    assert result.status == NodeStatus.FAILED
    assert result.error == "inputs.count: 必须是整数"
    assert result.node_results[-1].node.id == "end"


def test_run_inputs_that_do_not_fit_fail_the_start_node():
    result = WorkflowRunner(make_ports()).run(greeting_graph(), {"name": "a", "n": "many"})
    assert result.status == NodeStatus.FAILED and result.error == "inputs.n: 必须是整数"
    assert [(r.node.id, r.status) for r in result.node_results] == [("start", NodeStatus.FAILED)]


def test_coerce_inputs_reads_declared_types_and_drops_unknown_keys():
    workflow = graph(
        [
            StartNode(
                id="start",
                title="开始",
                inputs=[
                    declared("query"),
                    declared("n", "int"),
                    declared("ratio", "float"),
                    declared("flag", "boolean"),
                    declared("note", required=False),
                    declared("limit", "int", required=False),
                ],
            ),
            EndNode(id="end", title="结束"),
        ],
        ("start", "end"),
    )
    raw = {"query": "q", "n": "3", "ratio": "0.5", "flag": "TRUE", "unknown": "x"}
    assert coerce_inputs(workflow, raw) == {"query": "q", "n": 3, "ratio": 0.5, "flag": True, "note": "", "limit": None}
    assert coerce_inputs(workflow, {**raw, "n": 4.0, "flag": False, "note": 12})["note"] == "12"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"n": "3", "flag": "true"}, "inputs.query: 不能为空"),
        ({"query": "  ", "n": "3", "flag": "true"}, "inputs.query: 不能为空"),
        ({"query": "q", "flag": "true"}, "inputs.n: 不能为空"),
        ({"query": "q", "n": "3.5", "flag": "true"}, "inputs.n: 必须是整数"),
        ({"query": "q", "n": True, "flag": "true"}, "inputs.n: 必须是整数"),
        ({"query": "q", "n": "1e999", "flag": "true"}, "inputs.n: 必须是有限的数字"),
        ({"query": "q", "n": "3", "flag": "maybe"}, "inputs.flag: 必须是布尔值"),
        ({"query": ["q"], "n": "3", "flag": "true"}, "inputs.query: 必须是字符串"),
        ({"query": "q", "n": "3", "flag": "true", "ratio": "abc"}, "inputs.ratio: 必须是数字"),
    ],
)
def test_coerce_inputs_names_the_input_that_does_not_fit(raw, message):
    workflow = graph(
        [
            StartNode(
                id="start",
                title="开始",
                inputs=[declared("query"), declared("n", "int"), declared("flag", "boolean"), declared("ratio", "float", required=False)],
            ),
            EndNode(id="end", title="结束"),
        ],
        ("start", "end"),
    )
    with pytest.raises(ValidateErrorException) as excinfo:
        coerce_inputs(workflow, raw)
    assert excinfo.value.message == message


def test_coerce_inputs_wants_an_object():
    with pytest.raises(ValidateErrorException) as excinfo:
        coerce_inputs(greeting_graph(), ["not", "a", "dict"])
    assert excinfo.value.message == "inputs: 必须是对象"


def test_a_finished_node_is_reported_while_other_branches_still_run(serve):
    # The slow branch answers only once the fast branch's result has reached on_node.
    fast_reported = threading.Event()

    def route(request):
        if request.path == "/slow" and not fast_reported.wait(10):
            return Reply(500, "the fast branch was not reported in time")
        return Reply(200, request.path)

    server = serve(route)
    workflow = graph(
        [
            StartNode(id="start", title="开始"),
            HttpRequestNode(id="fast", title="快", url=f"{server.url}/fast"),
            HttpRequestNode(id="slow", title="慢", url=f"{server.url}/slow"),
            EndNode(id="end", title="结束", inputs=[ref("slow", "text")]),
        ],
        ("start", "fast"),
        ("start", "slow"),
        ("fast", "end"),
        ("slow", "end"),
    )

    def on_node(result):
        if result.node.id == "fast":
            fast_reported.set()

    result = WorkflowRunner(make_ports()).run(workflow, {}, on_node=on_node)

    assert result.outputs == {"text": "/slow"}
    assert [r.node.id for r in result.node_results] == ["start", "fast", "slow", "end"]
