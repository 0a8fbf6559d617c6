"""A workflow as an agent's tool: its arguments are the start inputs, its answer the end outputs."""

import json

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import ToolMessage

from internal.core.workflow import WorkflowRunner, build_workflow_tool, coerce_inputs
from internal.core.workflow.entities import EndNode, StartNode, TemplateTransformNode
from internal.core.workflow.workflow_tool import WORKFLOW_NODE_EVENT, WorkflowStep
from internal.exception import ValidateErrorException
from test.core.workflows import declared, graph, make_ports, ref


def report_graph():
    return graph(
        [
            StartNode(
                id="start",
                title="开始",
                inputs=[
                    declared("city", description="要查询的城市"),
                    declared("days", "int", description="天数"),
                    declared("ratio", "float", required=False),
                    declared("verbose", "boolean", required=False, description="是否详细"),
                ],
            ),
            TemplateTransformNode(
                id="tpl", title="报告", template="{{ city }}:{{ days }}", inputs=[ref("start", "city"), ref("start", "days", type="int")]
            ),
            EndNode(id="end", title="结束", inputs=[ref("tpl", "output", "report"), ref("start", "days", type="int")]),
        ],
        ("start", "tpl"),
        ("tpl", "end"),
    )


def test_the_tool_declares_the_start_inputs_as_its_arguments():
    tool = build_workflow_tool("city_report", "生成城市报告", report_graph(), invoke=lambda args, on_node: {})

    assert tool.name == "city_report" and tool.description == "生成城市报告"
    schema = tool.args_schema.model_json_schema()
    assert schema["required"] == ["city", "days"]
    properties = schema["properties"]
    assert properties["city"]["type"] == "string" and properties["city"]["description"] == "要查询的城市"
    assert properties["days"]["type"] == "integer"
    assert {"type": "number"} in properties["ratio"]["anyOf"]
    assert {"type": "boolean"} in properties["verbose"]["anyOf"] and properties["verbose"]["description"] == "是否详细"


class StepsHeard(BaseCallbackHandler):
    def __init__(self):
        self.heard: list[WorkflowStep] = []

    def on_custom_event(self, name, data, **_):
        assert name == WORKFLOW_NODE_EVENT
        self.heard.append(data)


def test_calling_the_tool_runs_the_workflow_and_answers_its_outputs_as_json():
    workflow = report_graph()
    received = []

    def invoke(args, on_node):
        received.append(args)
        result = WorkflowRunner(make_ports()).run(workflow, coerce_inputs(workflow, args), on_node=on_node)
        return result.outputs

    steps = StepsHeard()
    tool = build_workflow_tool("city_report", "生成城市报告", workflow, invoke)
    answer = tool.invoke({"city": "广州", "days": "3"}, config={"callbacks": [steps]})

    assert json.loads(answer) == {"report": "广州:3", "days": 3}
    assert received == [{"city": "广州", "days": 3}]
    # Each node that finished was reported to the caller's callbacks, in order, as it finished.
    assert [(step.tool, step.result.node.node_type.value) for step in steps.heard][0] == ("city_report", "start")
    assert [step.result.node.node_type.value for step in steps.heard][-1] == "end"
    assert len(steps.heard) == len(workflow.nodes)


def test_a_failed_run_is_the_tool_answer_not_an_exception():
    def invoke(args, on_node):
        raise ValidateErrorException("工作流不存在")

    tool = build_workflow_tool("city_report", "生成城市报告", report_graph(), invoke)
    message = tool.invoke({"type": "tool_call", "id": "call_1", "name": "city_report", "args": {"city": "a", "days": 1}})
    assert isinstance(message, ToolMessage)
    assert message.content == "工作流不存在" and message.status == "error"


def test_arguments_of_the_wrong_type_are_refused_before_the_workflow_runs():
    calls = []
    tool = build_workflow_tool("city_report", "生成城市报告", report_graph(), invoke=lambda args, on_node: calls.append(args))
    message = tool.invoke({"type": "tool_call", "id": "call_2", "name": "city_report", "args": {"city": "a", "days": "many"}})
    assert calls == []
    assert message.content.startswith("Invalid arguments: days:")
