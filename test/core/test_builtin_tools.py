"""Built-in tools invoked the way an agent calls them, against local fakes of the services they wrap."""

import re
import socket
import time
from collections.abc import Iterator

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool

from config.settings import BuiltinToolSettings, OutboundSettings, ProviderSettings
from internal.core.tools.builtin_tools import BuiltinToolCatalog, BuiltinToolFactory
from internal.exception import ValidateErrorException
from internal.extension.outbound_http import create_guarded_http_client
from test.conftest import make_settings
from test.fakes.amap import FakeAmap
from test.fakes.duckduckgo import FakeDuckDuckGo
from test.fakes.http_server import FakeServer, RecordedRequest, Reply
from test.fakes.mediawiki import FakeMediaWiki
from test.fakes.openai_images import FakeOpenAIImages
from test.fakes.serper import FakeSerper
from test.fakes.website import FakeWebsite

SERPER_KEY = "serper-test-key"
GAODE_KEY = "gaode-test-key"
OPENAI_KEY = "sk-test-images"


class FakeSlowService(FakeServer):
    """Answers only after `delay` seconds, to show that tools give up on time."""

    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay
        # The client has hung up by the time the answer is written; that broken pipe is expected.
        self.server.handle_error = lambda request, client_address: None

    def route(self, request: RecordedRequest) -> Reply:
        time.sleep(self.delay)
        return Reply(200, {})


class FakeNotJson(FakeServer):
    def route(self, request: RecordedRequest) -> Reply:
        return Reply(200, "<html>maintenance</html>", {"Content-Type": "text/html"})


@pytest.fixture(scope="module")
def catalog() -> BuiltinToolCatalog:
    return BuiltinToolCatalog.load()


def _started(server: FakeServer) -> Iterator:
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def serper():
    yield from _started(FakeSerper(SERPER_KEY))


@pytest.fixture(scope="module")
def duckduckgo():
    yield from _started(FakeDuckDuckGo())


@pytest.fixture(scope="module")
def mediawiki():
    yield from _started(FakeMediaWiki())


@pytest.fixture(scope="module")
def amap():
    yield from _started(FakeAmap(GAODE_KEY))


@pytest.fixture(scope="module")
def openai_images():
    yield from _started(FakeOpenAIImages(OPENAI_KEY))


@pytest.fixture(scope="module")
def website():
    yield from _started(FakeWebsite())


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def build_factory(catalog, tmp_path, *, tools: dict | None = None, providers: dict | None = None, outbound: dict | None = None):
    settings = make_settings(
        tmp_path,
        builtin_tools=BuiltinToolSettings(_env_file=None, **(tools or {})),
        providers=ProviderSettings(_env_file=None, **(providers or {})),
        outbound=OutboundSettings(_env_file=None, **(outbound or {})),
    )
    return BuiltinToolFactory(catalog, settings, create_guarded_http_client(settings))


@pytest.fixture
def factory(catalog, tmp_path, serper, duckduckgo, mediawiki, amap, openai_images):
    """Every service key configured and every base URL pointing at its local fake."""
    return build_factory(
        catalog,
        tmp_path,
        tools={
            "serper_api_key": SERPER_KEY,
            "serper_api_base": serper.url,
            "gaode_api_key": GAODE_KEY,
            "gaode_api_base": amap.url,
            "wikipedia_api_base": mediawiki.api_url,
            "duckduckgo_api_base": duckduckgo.url,
        },
        providers={"openai_api_key": OPENAI_KEY, "openai_api_base": openai_images.api_base},
        outbound={"outbound_allow_hosts": "127.0.0.1"},
    )


@pytest.fixture
def unconfigured(catalog, tmp_path):
    """No keys; every base URL is a closed loopback port, so a slip could never leave the machine."""
    nowhere = closed_port_url()
    return build_factory(
        catalog,
        tmp_path,
        tools={
            "serper_api_base": nowhere,
            "gaode_api_base": nowhere,
            "wikipedia_api_base": nowhere,
            "duckduckgo_api_base": nowhere,
        },
        providers={"openai_api_base": nowhere},
    )


def call(tool: BaseTool, **args) -> ToolMessage:
    """What an agent does: a tool call in, a ToolMessage out."""
    message = tool.invoke({"type": "tool_call", "id": "call-1", "name": tool.name, "args": args})
    assert isinstance(message, ToolMessage)
    return message


# --- the catalog as agents see it -----------------------------------------------------------


def test_every_declared_tool_builds_into_a_langchain_tool_with_its_declared_inputs(catalog, unconfigured):
    built = 0
    for provider in catalog.providers:
        for entity in provider.tools:
            tool = unconfigured.create(provider.name, entity.name)
            assert isinstance(tool, BaseTool)
            assert tool.name == entity.name and tool.description == entity.description
            schema = tool.tool_call_schema.model_json_schema()
            assert set(schema.get("properties", {})) == {i.name for i in entity.inputs}
            assert set(schema.get("required", [])) == {i.name for i in entity.inputs if i.required}
            for tool_input in entity.inputs:
                assert schema["properties"][tool_input.name]["description"] == tool_input.description
            built += 1
    assert built == 9


def test_invalid_arguments_from_the_model_come_back_as_a_tool_error(factory):
    message = call(factory.create("google", "google_serper"))
    assert message.status == "error" and "Invalid arguments" in message.content and "query" in message.content


def test_a_bare_string_input_reaches_a_one_argument_tool(factory):
    assert factory.create("calculator", "calculator").invoke("6 * 7") == "42"


# --- time and calculator: offline -----------------------------------------------------------


def test_current_time_in_the_default_and_a_chosen_time_zone(factory):
    shanghai = call(factory.create("time", "current_time")).content
    assert re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \w+day \(Asia/Shanghai, UTC\+0800\)$", shanghai)
    utc = factory.create("time", "current_time", {"timezone": "UTC"}).invoke({})
    assert utc.endswith("(UTC, UTC+0000)")
    assert abs(time.mktime(time.strptime(utc[:19], "%Y-%m-%d %H:%M:%S")) - time.mktime(time.gmtime())) < 5


def test_current_time_refuses_an_unknown_time_zone_at_configuration(factory):
    for zone in ("Mars/Olympus", "../../etc/passwd"):
        with pytest.raises(ValidateErrorException) as error:
            factory.create("time", "current_time", {"timezone": zone})
        assert error.value.message.startswith("params.timezone:")


@pytest.mark.parametrize(
    ("expression", "result"),
    [
        ("2 + 3 * 4", "14"),
        ("(3 + 5) * 2 ** 10 / sqrt(16)", "2048"),
        ("10 // 3", "3"),
        ("10 % 3", "1"),
        ("-2 ** 2", "-4"),
        ("0.1 + 0.2", "0.3"),
        ("2 ** 100", "1267650600228229401496703205376"),
        ("round(pi, 4)", "3.1416"),
        ("max(1, 7, 3) - min(4, 2)", "5"),
        ("log10(1000) + abs(-2.5)", "5.5"),
        ("2 ** -2", "0.25"),
    ],
)
def test_calculator_evaluates_arithmetic(factory, expression, result):
    message = call(factory.create("calculator", "calculator"), expression=expression)
    assert message.status == "success" and message.content == result


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('id')",
        "open('/etc/passwd').read()",
        "().__class__.__bases__",
        "(1).real",
        "'a' * 10",
        "x + 1",
        "lambda: 1",
        "[1, 2, 3]",
        "1 if 1 else 2",
        "1 < 2",
        "True + 1",
        "2j * 2",
        "sqrt(x=4)",
        "print(1)",
        "1; 2",
        "",
        "1 +" * 200 + "1",
        "9 ** 9 ** 9",
        "2 ** 100000",
        "(2 ** 4000) * (2 ** 4000)",
        "10.0 ** 400",
        "exp(1000)",
        "1 / 0",
        "sqrt(-1)",
        "(-8) ** 0.5",
        "min()",
    ],
)
def test_calculator_refuses_anything_that_is_not_bounded_arithmetic(factory, expression):
    started = time.monotonic()
    message = call(factory.create("calculator", "calculator"), expression=expression)
    assert message.status == "error" and message.content.startswith("Cannot calculate")
    assert time.monotonic() - started < 1


# --- google_serper ---------------------------------------------------------------------------


def test_google_serper_posts_the_query_with_the_key_header(factory, serper):
    serper.requests.clear()
    content = call(factory.create("google", "google_serper"), query="meaning of life").content
    assert content.startswith("Answer: 42\nKnowledge graph: Deep Thought (Computer): A fictional computer.")
    assert "1. meaning of life - result 1\n   https://example.com/1\n   Snippet 1 about meaning of life" in content
    (sent,) = serper.requests
    assert (sent.method, sent.path) == ("POST", "/search")
    assert sent.headers["x-api-key"] == SERPER_KEY
    assert sent.json() == {"q": "meaning of life"}


def test_google_serper_without_a_key_says_how_to_configure_it(unconfigured):
    message = call(unconfigured.create("google", "google_serper"), query="anything")
    assert message.status == "error"
    assert message.content == "google_serper is not configured: set SERPER_API_KEY"


def test_google_serper_reports_a_rejected_key(catalog, tmp_path, serper):
    factory = build_factory(catalog, tmp_path, tools={"serper_api_key": "wrong", "serper_api_base": serper.url})
    message = call(factory.create("google", "google_serper"), query="x")
    assert message.status == "error" and message.content.startswith("google_serper request failed: HTTP 403")


# --- duckduckgo_search -----------------------------------------------------------------------


def test_duckduckgo_returns_organic_results_without_ads(factory, duckduckgo):
    duckduckgo.requests.clear()
    content = call(factory.create("duckduckgo", "duckduckgo_search"), query="llm agents").content
    lines = content.split("\n")
    assert lines[0] == "1. Result 1 for llm agents"
    assert lines[1] == "   https://site1.example/page?x=1&y=2"
    assert lines[2] == "   About llm agents & more, number 1."
    assert "Buy" not in content and "y.js" not in content
    assert len(re.findall(r"^\d+\. ", content, flags=re.M)) == 5  # the default max_results
    (sent,) = duckduckgo.requests
    assert (sent.method, sent.path, sent.form()) == ("POST", "/html/", {"q": "llm agents"})
    assert sent.headers["user-agent"]


def test_duckduckgo_honours_max_results_and_reports_nothing_found(factory):
    tool = factory.create("duckduckgo", "duckduckgo_search", {"max_results": 2})
    assert len(re.findall(r"^\d+\. ", tool.invoke({"query": "x"}), flags=re.M)) == 2
    assert tool.invoke({"query": "nothing-matches"}) == "DuckDuckGo found nothing for: nothing-matches"


def test_duckduckgo_throttling_is_a_readable_error(factory, duckduckgo):
    duckduckgo.throttled = True
    try:
        message = call(factory.create("duckduckgo", "duckduckgo_search"), query="x")
    finally:
        duckduckgo.throttled = False
    assert message.status == "error" and "rate limited" in message.content


# --- wikipedia_search ------------------------------------------------------------------------


def test_wikipedia_returns_intro_extracts_in_search_rank_order(factory, mediawiki):
    mediawiki.requests.clear()
    content = call(factory.create("wikipedia", "wikipedia_search"), query="python").content
    assert content.startswith("Page: Python (programming language)\nSummary: Python is a high-level")
    assert content.index("Monty Python") < content.index("Pythonidae")
    (sent,) = mediawiki.requests
    query = {k: v[0] for k, v in sent.query.items()}
    assert sent.path == "/w/api.php"
    assert query["action"] == "query" and query["generator"] == "search" and query["gsrsearch"] == "python"
    assert query["prop"] == "extracts" and query["explaintext"] == "1"
    assert "LLMOps" in sent.headers["user-agent"]


def test_wikipedia_without_a_match_says_so(factory):
    assert factory.create("wikipedia", "wikipedia_search").invoke({"query": "zzzz"}) == "Wikipedia has no page matching: zzzz"


# --- gaode -----------------------------------------------------------------------------------


def test_gaode_weather_resolves_the_city_then_asks_for_the_forecast(factory, amap):
    amap.requests.clear()
    content = call(factory.create("gaode", "gaode_weather"), city="广州").content
    assert content.startswith("广州市 (广东) forecast, reported 2024-07-20 10:02:31:")
    assert "2024-07-20 (week 6): day 多云 33°C 南风 1-3级; night 阵雨 27°C" in content
    assert "2024-07-21" in content
    district, weather = amap.requests
    assert district.path == "/v3/config/district" and district.query["keywords"] == ["广州"]
    assert weather.path == "/v3/weather/weatherInfo"
    assert weather.query["city"] == ["440100"] and weather.query["extensions"] == ["all"]
    assert district.query["key"] == weather.query["key"] == [GAODE_KEY]


def test_gaode_weather_unknown_city_and_rejected_key(catalog, tmp_path, factory, amap):
    message = call(factory.create("gaode", "gaode_weather"), city="亚特兰蒂斯")
    assert message.status == "error" and message.content == "gaode_weather found no city named 亚特兰蒂斯"
    wrong_key = build_factory(catalog, tmp_path, tools={"gaode_api_key": "wrong", "gaode_api_base": amap.url})
    message = call(wrong_key.create("gaode", "gaode_weather"), city="广州")
    assert message.status == "error" and "INVALID_USER_KEY" in message.content


def test_gaode_ip_locates_an_address(factory, amap):
    amap.requests.clear()
    tool = factory.create("gaode", "gaode_ip")
    assert tool.invoke({"ip": "114.247.50.2"}) == "114.247.50.2 is in 北京市 北京市 (adcode 110000)"
    assert "cannot locate 8.8.8.8" in tool.invoke({"ip": "8.8.8.8"})
    assert [r.query["ip"] for r in amap.requests] == [["114.247.50.2"], ["8.8.8.8"]]
    message = call(tool, ip="not-an-ip")
    assert message.status == "error" and "needs an IPv4 address" in message.content
    assert len(amap.requests) == 2  # nothing sent for a malformed address


@pytest.mark.parametrize("tool", ["gaode_weather", "gaode_ip"])
def test_gaode_without_a_key_says_how_to_configure_it(unconfigured, tool):
    message = call(unconfigured.create("gaode", tool), **({"city": "广州"} if tool == "gaode_weather" else {"ip": "1.2.3.4"}))
    assert message.status == "error" and message.content == f"{tool} is not configured: set GAODE_API_KEY"


# --- dalle3 ----------------------------------------------------------------------------------


def test_dalle3_sends_the_prompt_size_and_style_and_returns_the_image_url(factory, openai_images):
    openai_images.requests.clear()
    tool = factory.create("dalle", "dalle3", {"size": "1792x1024", "style": "natural"})
    url = call(tool, query="a cat reading a book").content
    assert re.fullmatch(r"https://images\.example\.com/generated/\d+\.png", url)
    (sent,) = openai_images.requests
    assert (sent.method, sent.path) == ("POST", "/v1/images/generations")
    assert sent.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert sent.json() == {"model": "dall-e-3", "prompt": "a cat reading a book", "size": "1792x1024", "style": "natural", "n": 1, "response_format": "url"}


def test_dalle3_defaults_and_missing_key(factory, unconfigured, openai_images):
    openai_images.requests.clear()
    factory.create("dalle", "dalle3").invoke({"query": "a dog"})
    assert openai_images.requests[0].json()["size"] == "1024x1024" and openai_images.requests[0].json()["style"] == "vivid"
    message = call(unconfigured.create("dalle", "dalle3"), query="a dog")
    assert message.status == "error" and message.content == "dalle3 is not configured: set OPENAI_API_KEY"


# --- network failures ------------------------------------------------------------------------


def test_an_unreachable_service_is_a_readable_tool_error(catalog, tmp_path):
    factory = build_factory(catalog, tmp_path, tools={"serper_api_key": SERPER_KEY, "serper_api_base": closed_port_url()})
    message = call(factory.create("google", "google_serper"), query="x")
    assert message.status == "error" and message.content.startswith("google_serper request failed: ConnectError")


def test_a_slow_service_times_out(catalog, tmp_path):
    slow = FakeSlowService(delay=2).start()
    try:
        factory = build_factory(
            catalog, tmp_path, tools={"wikipedia_api_base": slow.url + "/w/api.php", "builtin_tool_http_timeout": 0.3}
        )
        started = time.monotonic()
        message = call(factory.create("wikipedia", "wikipedia_search"), query="x")
    finally:
        slow.stop()
    assert message.status == "error" and message.content == "wikipedia_search request timed out after 0.3 seconds"
    assert time.monotonic() - started < 1.5


def test_a_service_answering_something_else_than_json_is_a_tool_error(catalog, tmp_path):
    broken = FakeNotJson().start()
    try:
        factory = build_factory(catalog, tmp_path, tools={"gaode_api_key": GAODE_KEY, "gaode_api_base": broken.url})
        message = call(factory.create("gaode", "gaode_ip"), ip="1.2.3.4")
    finally:
        broken.stop()
    assert message.status == "error" and message.content.startswith("gaode_ip got a response that is not JSON")


# --- webpage_fetch through the guarded client ------------------------------------------------


def test_webpage_fetch_reads_the_visible_text_of_a_page(factory, website):
    content = call(factory.create("webpage", "webpage_fetch"), url=f"{website.url}/article").content
    assert content.startswith(f"Title: The LLMOps Handbook\nURL: {website.url}/article\n\n")
    assert "Agents and tools\nAn agent calls tools & reads their answers." in content
    assert "First point\nSecond point" in content
    for hidden in ("do-not-read", "color: red", "enable javascript"):
        assert hidden not in content


def test_webpage_fetch_reads_plain_text_and_refuses_binaries(factory, website):
    tool = factory.create("webpage", "webpage_fetch")
    assert tool.invoke({"url": f"{website.url}/notes.txt"}).endswith("plain notes\nline two")
    image = call(tool, url=f"{website.url}/logo.png")
    assert image.status == "error" and "image/png" in image.content
    missing = call(tool, url=f"{website.url}/missing")
    assert missing.status == "error" and "HTTP 404" in missing.content


def test_webpage_fetch_cuts_at_max_chars(factory, website):
    content = factory.create("webpage", "webpage_fetch", {"max_chars": 500}).invoke({"url": f"{website.url}/long"})
    body = content.split("\n\n", 1)[1]
    assert body.endswith("\n[content truncated]") and len(body) == 500 + len("\n[content truncated]")


def test_webpage_fetch_is_refused_where_the_outbound_policy_says_no(unconfigured, website):
    website.requests.clear()
    tool = unconfigured.create("webpage", "webpage_fetch")  # default policy: loopback is off limits
    for url in (f"{website.url}/article", "ftp://example.com/file", "not a url"):
        message = call(tool, url=url)
        assert message.status == "error" and message.content.startswith("webpage_fetch may not read this address")
    assert website.requests == []


def test_webpage_fetch_checks_where_a_redirect_leads(catalog, tmp_path):
    other_port = closed_port_url().rsplit(":", 1)[1]
    redirecting = FakeWebsite(redirect_to=f"http://127.0.0.2:{other_port}/admin").start()
    try:
        factory = build_factory(catalog, tmp_path, outbound={"outbound_allow_hosts": "127.0.0.1"})
        message = call(factory.create("webpage", "webpage_fetch"), url=f"{redirecting.url}/redirect")
    finally:
        redirecting.stop()
    assert message.status == "error" and "127.0.0.2" in message.content and "loopback" in message.content


# --- the factory checks the user's settings --------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "tool", "params", "message"),
    [
        ("dalle", "dalle3", {"quality": "hd"}, "params.quality: 是dalle3不支持的参数"),
        ("dalle", "dalle3", {"size": "512x512"}, "params.size: 必须是以下值之一：1024x1024、1792x1024、1024x1792"),
        ("dalle", "dalle3", {"size": 1024}, "params.size: 必须是以下值之一"),
        ("dalle", "dalle3", {"style": "vivid "}, "params.style: 必须是以下值之一"),
        ("duckduckgo", "duckduckgo_search", {"max_results": 11}, "params.max_results: 必须小于等于10"),
        ("duckduckgo", "duckduckgo_search", {"max_results": 0}, "params.max_results: 必须大于等于1"),
        ("duckduckgo", "duckduckgo_search", {"max_results": "5"}, "params.max_results: 必须是数字"),
        ("duckduckgo", "duckduckgo_search", {"max_results": True}, "params.max_results: 必须是数字"),
        ("duckduckgo", "duckduckgo_search", {"max_results": 2.5}, "params.max_results: 必须是整数"),
        ("webpage", "webpage_fetch", {"max_chars": float("inf")}, "params.max_chars: 必须是数字"),
        ("time", "current_time", {"timezone": 8}, "params.timezone: 必须是字符串"),
        ("google", "google_serper", ["not", "a", "dict"], "params: 必须是对象"),
        ("google", "google_search", {}, "内置工具google/google_search不存在"),
        ("nope", "google_serper", {}, "内置工具nope/google_serper不存在"),
    ],
)
def test_factory_refuses_settings_that_do_not_match_the_declaration(unconfigured, provider, tool, params, message):
    with pytest.raises(ValidateErrorException) as error:
        unconfigured.create(provider, tool, params)
    assert error.value.message.startswith(message)


def test_factory_fills_defaults_and_keeps_valid_settings(unconfigured):
    dalle = unconfigured.create("dalle", "dalle3", {"style": "natural", "size": None})
    assert (dalle.size, dalle.style) == ("1024x1024", "natural")
    duckduckgo = unconfigured.create("duckduckgo", "duckduckgo_search", {"max_results": 10.0})
    assert duckduckgo.max_results == 10
    assert unconfigured.create("webpage", "webpage_fetch").max_chars == 4000
