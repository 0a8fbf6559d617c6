"""Each node type inside a running workflow, with real collaborators: the model through the fake
OpenAI server, the built-in tool catalog, the guarded HTTP client against a local server."""

import json

import pytest

from config.settings import OutboundSettings, ProviderSettings
from internal.core.language_model.catalog import LanguageModelCatalog
from internal.core.language_model.factory import LanguageModelFactory
from internal.core.tools.builtin_tools import BuiltinToolCatalog, BuiltinToolFactory
from internal.core.workflow import NodeStatus, WorkflowRunner
from internal.core.workflow.entities import (
    CodeNode,
    DatasetRetrievalNode,
    EndNode,
    HttpRequestNode,
    LLMNode,
    StartNode,
    TemplateTransformNode,
    ToolNode,
    Variable,
)
from internal.extension.outbound_http import create_guarded_http_client
from pkg.guarded_http import GuardedHttpClient, OutboundPolicy
from test.conftest import make_settings
from test.core.workflows import declared, graph, literal, make_ports, ref
from test.fakes.http_server import Reply
from test.fakes.openai_server import FakeOpenAI
from test.fakes.scripted_server import ScriptedServer


def through(node, start_inputs=(), outputs=("output",)):
    """start -> node -> end, where end returns the node's `outputs` (names, or (name, type))."""
    outputs = [(output, "string") if isinstance(output, str) else output for output in outputs]
    return graph(
        [
            StartNode(id="start", title="开始", inputs=list(start_inputs)),
            node,
            EndNode(id="end", title="结束", inputs=[ref(node.id, name, type=type_) for name, type_ in outputs]),
        ],
        ("start", node.id),
        (node.id, "end"),
    )


def failed_node(result):
    assert result.status == NodeStatus.FAILED
    return result.node_results[-1]


# --- llm -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def openai():
    server = FakeOpenAI(api_key="sk-test-workflow").start()
    yield server
    server.stop()


@pytest.fixture
def model_factory(openai, tmp_path):
    openai.reset_chat()
    providers = ProviderSettings(_env_file=None, openai_api_key=openai.api_key, openai_api_base=openai.api_base, llm_max_retries=0)
    return LanguageModelFactory(make_settings(tmp_path, providers=providers), LanguageModelCatalog.load())


def test_llm_node_fills_references_and_asks_the_model_once(openai, model_factory):
    openai.script_chat("翻译", "Hello")
    node = LLMNode(
        id="llm",
        title="翻译",
        prompt="翻译成英文：{{ text }}（{{unknown}}）{{n}}",
        model_config={"provider": "openai", "model": "gpt-4o-mini", "parameters": {"temperature": 0.2}},
        inputs=[ref("start", "text"), ref("start", "n", type="int")],
    )
    ports = make_ports(chat_model=lambda config: model_factory.create(config.provider, config.model, config.parameters))

    result = WorkflowRunner(ports).run(through(node, [declared("text"), declared("n", "int")]), {"text": "你好", "n": "2"})

    assert result.status == NodeStatus.SUCCEEDED, result.error
    assert result.outputs == {"output": "Hello"}
    [body] = openai.chat_requests()
    assert body["model"] == "gpt-4o-mini" and body["temperature"] == 0.2
    assert body["messages"] == [{"role": "user", "content": "翻译成英文：你好（）2"}]
    event = result.node_results[1].event_data()
    assert event["node_data"]["model_config"]["model"] == "gpt-4o-mini"


def test_llm_node_failure_is_the_node_error(openai, model_factory):
    openai.fail_next("POST /v1/chat/completions", 400, "context length exceeded")
    node = LLMNode(id="llm", title="总结", prompt="总结", model_config={"provider": "openai", "model": "gpt-4o-mini"})
    ports = make_ports(chat_model=lambda config: model_factory.create(config.provider, config.model, config.parameters))
    result = WorkflowRunner(ports).run(through(node), {})
    assert "context length exceeded" in failed_node(result).error


# --- tool ----------------------------------------------------------------------------------


def test_tool_node_calls_the_built_in_tool_with_the_node_inputs(tmp_path):
    settings = make_settings(tmp_path)
    tools = BuiltinToolFactory(BuiltinToolCatalog.load(), settings, create_guarded_http_client(settings))
    node = ToolNode(
        id="calc",
        title="计算",
        provider_id="calculator",
        tool_id="calculator",
        inputs=[ref("start", "expression")],
    )
    ports = make_ports(tool=lambda tool_node: tools.create(tool_node.provider_id, tool_node.tool_id, tool_node.params))
    run = WorkflowRunner(ports).run
    workflow = through(node, [declared("expression")], outputs=("text",))

    assert run(workflow, {"expression": "(3 + 4) * 6"}).outputs == {"text": "42"}
    # A tool reports its own failures as its answer, as it does to an agent.
    refused = run(workflow, {"expression": "__import__('os')"})
    assert refused.status == NodeStatus.SUCCEEDED and refused.outputs["text"] != ""


# --- http_request --------------------------------------------------------------------------


@pytest.fixture
def echo_server():
    server = ScriptedServer(lambda request: Reply(201, {"path": request.path, "echo": request.json()})).start()
    yield server
    server.stop()


def test_http_node_sends_params_headers_and_a_json_body_from_its_inputs(echo_server):
    node = HttpRequestNode(
        id="http",
        title="调用接口",
        url=f"{echo_server.url}/items",
        method="post",
        inputs=[
            ref("start", "city", meta={"type": "params"}),
            literal("page", "2", "int", meta={"type": "params"}),
            literal("X-Token", "secret-1", meta={"type": "headers"}),
            ref("start", "count", type="int", meta={"type": "body"}),
            literal("urgent", "true", "boolean", meta={"type": "body"}),
        ],
    )
    workflow = through(node, [declared("city"), declared("count", "int")], outputs=(("status_code", "int"), "text"))

    result = WorkflowRunner(make_ports()).run(workflow, {"city": "广州", "count": "3"})

    assert result.status == NodeStatus.SUCCEEDED, result.error
    assert result.outputs["status_code"] == 201
    assert json.loads(result.outputs["text"]) == {"path": "/items", "echo": {"count": 3, "urgent": True}}
    [request] = echo_server.requests
    assert request.method == "POST"
    assert request.query == {"city": ["广州"], "page": ["2"]}
    assert request.headers["x-token"] == "secret-1"


def test_http_node_through_the_default_policy_cannot_reach_loopback(echo_server, tmp_path):
    node = HttpRequestNode(id="http", title="内网", url=f"{echo_server.url}/admin")
    client = create_guarded_http_client(make_settings(tmp_path, outbound=OutboundSettings(_env_file=None)))
    ports = make_ports(http_client=client)

    result = WorkflowRunner(ports).run(through(node, outputs=("text",)), {})

    error = failed_node(result).error
    assert error.startswith("refused 127.0.0.1") and "loopback" in error
    assert echo_server.requests == []


def test_http_node_refuses_a_url_it_cannot_use():
    node = HttpRequestNode(id="http", title="坏地址", url="file:///etc/passwd")
    client = GuardedHttpClient(OutboundPolicy())
    result = WorkflowRunner(make_ports(http_client=client)).run(through(node, outputs=("text",)), {})
    assert "only http and https" in failed_node(result).error


# --- dataset_retrieval ---------------------------------------------------------------------


def test_retrieval_node_searches_its_datasets_with_the_query():
    calls = []

    def retrieve(dataset_ids, config, query):
        calls.append((dataset_ids, config.retrieval_strategy, config.k, config.score, query))
        return "文档一\n\n文档二"

    node = DatasetRetrievalNode(
        id="kb",
        title="知识库",
        dataset_ids=["d1", "d2"],
        retrieval_config={"retrieval_strategy": "hybrid", "k": 3, "score": 0.5},
        inputs=[ref("start", "question", "query")],
    )
    workflow = through(node, [declared("question")], outputs=("combine_documents",))
    result = WorkflowRunner(make_ports(retrieve=retrieve)).run(workflow, {"question": "前端 prompt"})

    assert result.outputs == {"combine_documents": "文档一\n\n文档二"}
    assert calls == [(["d1", "d2"], "hybrid", 3, 0.5, "前端 prompt")]


# --- code ----------------------------------------------------------------------------------


class ScriptedCodeRunner:
    """Stands in for the sandbox (its own tests live with it): answers `result` or raises it."""

    def __init__(self, result):
        self.result = result
        self.calls = []

    def run(self, code, params, timeout):
        self.calls.append((code, params, timeout))
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def code_node(*outputs: Variable) -> CodeNode:
    return CodeNode(
        id="code",
        title="代码",
        code="def main(params):\n    return {'total': params['n'] * 2}",
        inputs=[ref("start", "n", type="int")],
        outputs=list(outputs),
    )


def test_code_node_keeps_the_declared_outputs_as_their_types():
    runner = ScriptedCodeRunner({"total": "14", "ratio": 3, "ok": 1, "extra": "dropped"})
    node = code_node(declared("total", "int"), declared("ratio", "float"), declared("ok", "boolean"))
    workflow = through(node, [declared("n", "int")], outputs=(("total", "int"), ("ratio", "float"), ("ok", "boolean")))

    result = WorkflowRunner(make_ports(code_runner=runner, node_timeout=5)).run(workflow, {"n": "7"})

    assert result.outputs == {"total": 14, "ratio": 3.0, "ok": True}
    assert result.node_results[1].outputs == {"total": 14, "ratio": 3.0, "ok": True}
    [(code, params, timeout)] = runner.calls
    assert code == node.code and params == {"n": 7}
    assert 0 < timeout <= 5


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"other": 1}, "outputs.total: 代码没有返回该输出"),
        ({"total": "lots"}, "outputs.total: 必须是整数"),
        (["not", "a", "dict"], "代码的返回值必须是字典"),
        (RuntimeError("代码运行超时"), "代码运行超时"),
    ],
)
def test_code_node_errors_name_what_went_wrong(answer, error):
    node = code_node(declared("total", "int"))
    workflow = through(node, [declared("n", "int")], outputs=(("total", "int"),))
    result = WorkflowRunner(make_ports(code_runner=ScriptedCodeRunner(answer))).run(workflow, {"n": 1})
    assert failed_node(result).error == error


# --- template_transform --------------------------------------------------------------------


def render(template: str, **inputs):
    node = TemplateTransformNode(
        id="tpl", title="模板", template=template, inputs=[literal(name, value) for name, value in inputs.items()]
    )
    return WorkflowRunner(make_ports()).run(through(node), {})


def test_template_node_renders_jinja_with_its_inputs():
    result = render("{% for w in words.split(',') %}[{{ w|upper }}]{% endfor %} {{ '%s-%d'|format(a, 3) }}", words="a,b", a="x")
    assert result.outputs == {"output": "[A][B] x-3"}


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ("{{ ''.__class__.__mro__ }}", "__class__"),
        ("{{ ''.__class__ }}", "__class__"),
        ("{{ cycler.__init__.__globals__ }}", "__init__"),
        ("{{ lipsum.__globals__['os'] }}", "__globals__"),
        ("{{ self._TemplateReference__context }}", "_TemplateReference__context"),
        ("{{ '{0.__class__}'.format(1) }}", "__class__"),
        ("{% set x = [] %}{{ x.append(1) }}", "append"),
        ("{% for i in range(10**9) %}x{% endfor %}", "过大"),
        ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "循环共计最多"),
        ("{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}", "超过1048576个字符"),
        ("{{ 'a' * 10**9 }}", "超过1048576个字符"),
        ("{{ 'a'|center(10**9) }}", "过大"),
        ("{{ '{:>999999999}'.format(1) }}", "宽度过大"),
        ("{{ '%999999999s' % 1 }}", "宽度过大"),
        ("{% macro grow(s) %}{{ grow(s ~ s) }}{% endmacro %}{{ grow('a') }}", "超过1048576个字符"),
        ("{{ (['a' * 1000000] * 50)|join }}", "超过1048576个字符"),
        ("{% if %}", "模板错误"),
    ],
)
def test_template_node_refuses_escapes_and_runaway_templates(template, error):
    failed = failed_node(render(template))
    assert failed.node.id == "tpl"
    assert failed.error.startswith("template:") and error in failed.error
