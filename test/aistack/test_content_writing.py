"""The content creation system's writing routes (POST /api/content/generate, /optimize, GET
/api/content/platforms): the configured (fake) model's drafts checked against the platform's
profile — rewritten once with the broken rules named, then trimmed — on both addresses and both
profiles, validation, and 503 when the model is missing or failing."""

import uuid

import pytest

from config.settings import AIStackContentSettings
from internal.server import create_app
from test.conftest import _common_overrides, make_settings
from test.fakes.openai_server import ChatReply

from .client import assert_error, data_of
from .content import drafted, prefix_caller

XHS_BODY = "🌟 人工智能正在改变我们的生活。" + "从写作到绘画，AI工具越来越好用。" * 4


@pytest.fixture
def writer(app, client):
    return prefix_caller(app, client)


def generate(stack, status: int = 200, **fields):
    body = {"topic": "人工智能的未来", "style": "professional", "length": "medium", "platform": "xiaohongshu"} | fields
    resp = stack.post("content", "/api/content/generate", json=body)
    return data_of(resp, status) if status < 400 else resp


def test_generate_writes_for_the_platform_on_both_addresses(aistack, llm):
    marker = uuid.uuid4().hex[:8]
    llm.script_chat(marker, drafted("AI改变生活的5个瞬间", XHS_BODY, ["#人工智能", "AI工具", "科技生活"]))
    data = generate(aistack, topic=f"人工智能的未来 {marker}")
    assert data["platform"] == "xiaohongshu" and data["style"] == "professional" and data["length"] == "medium"
    assert data["title"] == "AI改变生活的5个瞬间" and data["content"] == XHS_BODY.strip()
    assert data["tags"] == ["人工智能", "AI工具", "科技生活"]  # the # marks are the platform's way of writing
    assert data["full_text"] == f"AI改变生活的5个瞬间\n\n{XHS_BODY.strip()}\n\n#人工智能 #AI工具 #科技生活"
    assert data["char_count"] == len(XHS_BODY.strip())
    assert data["check"] == {"passed": True, "regenerated": False, "adjustments": [], "violations": []}

    [request] = llm.chat_requests(marker)
    prompt = request["messages"][0]["content"]
    assert "小红书" in prompt and "不超过20个字" in prompt and "3到10个" in prompt  # the profile's rules
    assert "约400字" in request["messages"][1]["content"]  # xiaohongshu's medium length


def test_a_draft_breaking_the_rules_is_rewritten_once_with_the_violations_named(writer, llm):
    marker = uuid.uuid4().hex[:8]
    llm.script_chat(
        marker,
        drafted("这是一个远远超过二十个字的小红书标题，读者看不完", XHS_BODY, ["AI"]),
        drafted("AI改变生活", XHS_BODY, ["AI", "科技", "生活"]),
    )
    data = generate(writer, topic=f"AI {marker}")
    assert data["title"] == "AI改变生活" and data["tags"] == ["AI", "科技", "生活"]
    assert data["check"] == {"passed": True, "regenerated": True, "adjustments": [], "violations": []}
    first, second = llm.chat_requests(marker)
    retry = second["messages"][1]["content"]
    assert "上一稿违反了平台规则" in retry and "超过小红书的上限20字" in retry and "话题标签1个，少于3个" in retry


def test_what_still_exceeds_the_limits_is_trimmed_and_what_falls_short_is_reported(writer, llm):
    marker = uuid.uuid4().hex[:8]
    long_body = "微博正文的一句话。" * 300  # 2700 characters, over weibo's 2000
    tags = [f"话题{i}" for i in range(8)]
    llm.script_chat(marker, drafted("标题" * 20, long_body, tags), drafted("标题" * 20, long_body, tags))
    data = generate(writer, topic=f"长文 {marker}", platform="weibo", length="long")
    assert len(data["title"]) == 30 and len(data["content"]) <= 2000 and data["content"].endswith("。")
    assert data["tags"] == tags[:5] and data["full_text"].endswith("#话题3# #话题4#")
    assert data["check"]["regenerated"] and data["check"]["passed"]
    assert data["check"]["adjustments"] == ["标题截断为30字以内", "正文截断为2000字以内", "话题标签保留前5个"]

    short = uuid.uuid4().hex[:8]
    llm.script_chat(short, drafted("短", "太短了。", ["AI"]), drafted("短", "还是太短。", ["AI"]))
    data = generate(writer, topic=f"知乎 {short}", platform="zhihu")
    assert not data["check"]["passed"] and data["check"]["violations"] == ["正文5字，少于知乎的下限200字"]


def test_optimize_returns_the_new_text_and_what_changed(aistack, llm):
    marker = uuid.uuid4().hex[:8]
    llm.script_chat(
        marker, drafted("打工人必备AI神器", XHS_BODY, ["AI", "效率", "打工人"], changes=["标题改得更口语化", "加入emoji"])
    )
    data = data_of(
        aistack.post(
            "content",
            "/api/content/optimize",
            json={"content": f"AI工具可以提高效率。{marker}", "platform": "xiaohongshu", "target_audience": "年轻人"},
        )
    )
    assert data["original_content"] == f"AI工具可以提高效率。{marker}" and data["target_audience"] == "年轻人"
    assert data["title"] == "打工人必备AI神器" and data["content"] == XHS_BODY.strip()
    assert data["changes"] == ["标题改得更口语化", "加入emoji"] and data["check"]["passed"]
    [request] = llm.chat_requests(marker)
    assert "年轻人" in request["messages"][0]["content"]


def test_optimize_names_the_rewrite_and_the_trim_among_the_changes(writer, llm):
    marker = uuid.uuid4().hex[:8]
    too_long = "很长的标题" * 10
    llm.script_chat(marker, drafted(too_long, XHS_BODY, ["AI", "效率", "工具"], changes=["精简"]), drafted(too_long, XHS_BODY, ["AI", "效率", "工具"], changes=["重写"]))
    data = data_of(writer.post("content", "/api/content/optimize", json={"content": f"原文 {marker}", "platform": "xiaohongshu"}))
    assert data["changes"] == ["重写", "初稿不符合平台规则，已按规则重写", "标题截断为20字以内"]
    assert len(data["title"]) == 20 and data["target_audience"] == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"platform": "myspace"}, "platform"),
        ({"topic": "   "}, "topic"),
        ({"style": "rude"}, "style"),
        ({"length": "huge"}, "length"),
    ],
)
def test_invalid_generate_requests_name_the_field(writer, body, field):
    assert_error(generate(writer, 400, **body), 400, "INVALID_INPUT", field)


def test_invalid_optimize_requests_name_the_field(writer):
    assert_error(writer.post("content", "/api/content/optimize", json={"platform": "weibo"}), 400, "INVALID_INPUT", "content")
    resp = writer.post("content", "/api/content/optimize", json={"content": "x" * 20001, "platform": "weibo"})
    assert_error(resp, 400, "INVALID_INPUT", "content")


def test_a_failing_model_is_service_unavailable(writer, llm):
    marker = uuid.uuid4().hex[:8]
    llm.script_chat(marker, ChatReply(status=500, error_message="the model is down"))
    error = assert_error(generate(writer, 503, topic=f"AI {marker}"), 503, "SERVICE_UNAVAILABLE")
    assert "内容创作模型调用失败" in error["message"]


def test_a_failing_rewrite_keeps_the_first_draft_trimmed(writer, llm):
    marker = uuid.uuid4().hex[:8]
    llm.script_chat(marker, drafted("标题" * 20, XHS_BODY, ["A", "B", "C"]), ChatReply(status=500, error_message="down"))
    data = generate(writer, topic=f"AI {marker}")
    assert len(data["title"]) == 20 and data["check"]["regenerated"] is False
    assert data["check"]["adjustments"] == ["标题截断为20字以内"] and data["check"]["passed"]


def test_the_platform_profiles_are_listed(aistack):
    platforms = {p["platform"]: p for p in data_of(aistack.get("content", "/api/content/platforms"))}
    assert set(platforms) == {"xiaohongshu", "weibo", "zhihu", "wechat"}
    assert platforms["xiaohongshu"]["title_max_chars"] == 20 and platforms["weibo"]["tag_format"] == "#{tag}#"


@pytest.fixture(scope="module")
def modelless_app(tmp_path_factory, fake_github, fake_llm):
    """An embedded app whose content model names a provider the catalog does not have."""
    settings = make_settings(
        tmp_path_factory.mktemp("content-no-model"),
        aistack_content=AIStackContentSettings(_env_file=None, aistack_content_model_provider="no-such-provider"),
        **_common_overrides(fake_github, fake_llm),
    )
    return create_app(settings)


def test_without_a_configured_model_writing_is_service_unavailable(modelless_app):
    stack = prefix_caller(modelless_app, modelless_app.test_client())
    error = assert_error(generate(stack, 503), 503, "SERVICE_UNAVAILABLE")
    assert "AISTACK_CONTENT_MODEL_PROVIDER" in error["message"]
    resp = stack.post("content", "/api/content/optimize", json={"content": "原文", "platform": "zhihu"})
    assert_error(resp, 503, "SERVICE_UNAVAILABLE")


def test_a_model_answering_in_plain_text_still_writes(writer, llm):
    marker = uuid.uuid4().hex[:8]
    reply = f"# 微博标题\n今天聊聊人工智能，它正在改变世界。{marker}\n#人工智能# #科技#"
    llm.script_chat(marker, ChatReply(text=reply))
    data = generate(writer, topic=f"AI {marker}", platform="weibo")
    assert data["title"] == "微博标题" and data["tags"] == ["人工智能", "科技"]
    assert data["content"] == f"今天聊聊人工智能，它正在改变世界。{marker}" and data["check"]["passed"]


def test_style_and_length_have_defaults(writer, llm):
    marker = uuid.uuid4().hex[:8]
    llm.script_chat(marker, drafted("知乎标题", "正文。" * 100, ["AI"]))
    data = data_of(writer.post("content", "/api/content/generate", json={"topic": f"AI {marker}", "platform": "zhihu"}))
    assert data["style"] == "professional" and data["length"] == "medium"
