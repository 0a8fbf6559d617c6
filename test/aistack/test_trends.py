"""AI Stack trend analysis: hot lists read from fakes speaking Weibo's, Zhihu's and Baidu's real
JSON (stored, cached, history growing), the offline `local` platform over the caller's messages
and segments, keyword search, sentiment (offline and by the model) and reports."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from config import Settings
from config.settings import SentimentBackend
from internal.extension.database import db
from internal.model import Message
from test.fakes.hot_lists import weibo_list
from test.fakes.openai_server import ChatReply, ToolCall

from .client import VIAS, assert_error, data_of
from .test_rag import ingested


@pytest.fixture
def via():
    return "prefix"


@pytest.fixture
def trends_settings(app, fake_hot_lists):
    """The app's trend settings (the session's apps read the fake platforms); the fake is up."""
    fake_hot_lists.down = False
    yield app.extensions["injector"].get(Settings).aistack_trends
    fake_hot_lists.down = False


def hot(stack, platform: str, limit: int = 20, status: int = 200):
    return data_of(stack.get("trends", f"/api/trends/hot-topics?platform={platform}&limit={limit}"), status)


def test_weibo_zhihu_and_baidu_lists_from_their_real_formats(aistack, trends_settings):
    weibo = hot(aistack, "weibo")
    assert weibo["platform"] == "weibo" and weibo["cached"] is False and weibo["collected_at"].endswith("Z")
    # The promoted entry (is_ad) is no trend.
    assert [(t["rank"], t["title"], t["heat"]) for t in weibo["topics"]] == [(1, "人工智能大会开幕", 2345678), (2, "春节档电影票房", 1234567)]
    assert weibo["topics"][0]["url"].startswith("https://s.weibo.com/weibo?q=")
    zhihu = hot(aistack, "zhihu")
    assert [(t["title"], t["heat"]) for t in zhihu["topics"]] == [("如何看待人工智能的发展？", 12_340_000), ("年轻人为什么爱上徒步？", 8_560_000)]
    assert zhihu["topics"][0]["url"] == "https://www.zhihu.com/question/1000"
    baidu = hot(aistack, "baidu", limit=1)
    assert [(t["title"], t["heat"]) for t in baidu["topics"]] == [("人工智能新规发布", 4960000)]


def test_a_collection_answers_for_the_cache_time_and_history_grows(aistack, trends_settings, fake_hot_lists, monkeypatch):
    before = len(fake_hot_lists.requests)
    first = hot(aistack, "weibo")
    second = hot(aistack, "weibo")
    assert second["cached"] is True and second["collected_at"] == first["collected_at"] and second["topics"] == first["topics"]
    assert len(fake_hot_lists.requests) == before + 1
    # Past the cache time the list is read again and stored as the next collection.
    monkeypatch.setattr(trends_settings, "trends_cache_seconds", 0)
    monkeypatch.setitem(fake_hot_lists.lists, "/ajax/side/hotSearch", weibo_list([("人工智能芯片突破", 999_999)]))
    third = hot(aistack, "weibo")
    assert third["cached"] is False and [t["title"] for t in third["topics"]] == ["人工智能芯片突破"]
    found = data_of(aistack.post("trends", "/api/trends/search", json={"keyword": "人工智能", "platforms": ["weibo"], "date_range": "last_1_days"}))
    # Both collections count: the first topic once (seen twice the same day), the new one once.
    assert found["total_mentions"] == 2
    assert {t["title"] for t in found["topics"]} == {"人工智能大会开幕", "人工智能芯片突破"}


def test_an_unreachable_platform_is_service_unavailable(aistack, trends_settings, fake_hot_lists, monkeypatch):
    fake_hot_lists.down = True
    assert_error(aistack.get("trends", "/api/trends/hot-topics?platform=zhihu"), 503, "SERVICE_UNAVAILABLE")
    monkeypatch.setattr(trends_settings, "trends_weibo_base", "http://127.0.0.1:9")  # nothing listens there
    assert_error(aistack.get("trends", "/api/trends/hot-topics?platform=weibo"), 503, "SERVICE_UNAVAILABLE")
    fake_hot_lists.down = False
    monkeypatch.setitem(fake_hot_lists.lists, "/api/board", {"success": True, "data": {"cards": []}})
    assert_error(aistack.get("trends", "/api/trends/hot-topics?platform=baidu"), 503, "SERVICE_UNAVAILABLE")


def test_bad_hot_topic_requests(aistack, trends_settings):
    assert_error(aistack.get("trends", "/api/trends/hot-topics?platform=twitter"), 400, "INVALID_INPUT", "platform")
    assert_error(aistack.get("trends", "/api/trends/hot-topics?platform=weibo&limit=0"), 400, "INVALID_INPUT", "limit")
    assert_error(aistack.get("trends", "/api/trends/hot-topics?platform=weibo&limit=51"), 400, "INVALID_INPUT", "limit")


def _say(stack, text: str) -> str:
    resp = stack.post("chat", "/api/chat/message", json={"message": text, "context": {}})
    return data_of(resp)["context"]["message_id"]


def _backdate(app, message_ids: list[str], hours: int) -> None:
    with app.app_context():
        ids = [uuid.UUID(m) for m in message_ids]
        db.session.execute(update(Message).where(Message.id.in_(ids)).values(created_at=datetime.now(UTC) - timedelta(hours=hours)))
        db.session.commit()
        db.session.remove()


def test_local_terms_rank_by_growth_over_the_window_before(app, aistack, other_aistack, trends_settings, llm):
    for _ in range(3):
        _say(aistack, "电动汽车的最新进展")
    _say(aistack, "足球比赛直播")
    earlier = [_say(aistack, "足球比赛直播") for _ in range(2)]
    _backdate(app, earlier, 30)  # the window before (24 hours long by default)
    ingested(app, aistack, "notes.txt", "电动汽车的论文综述。".encode())
    data = hot(aistack, "local")
    topics = {t["title"]: t for t in data["topics"]}
    # Each message counts once (its question and the fake model's echo), the segment once.
    assert topics["电动汽车"]["heat"] == 4 and topics["电动汽车"]["previous_count"] == 0 and topics["电动汽车"]["growth"] == 4.0
    assert topics["足球比赛"]["heat"] == 1 and topics["足球比赛"]["previous_count"] == 2 and topics["足球比赛"]["growth"] == -0.5
    titles = [t["title"] for t in data["topics"]]
    assert titles.index("电动汽车") < titles.index("足球比赛") and [t["rank"] for t in data["topics"]] == list(range(1, len(titles) + 1))
    # Another account's texts are not its trends.
    assert "电动汽车" not in {t["title"] for t in hot(other_aistack, "local")["topics"]}
    found = data_of(aistack.post("trends", "/api/trends/search", json={"keyword": "电动汽车", "platforms": ["local"]}))
    assert found["total_mentions"] == 4 and found["volume"][-1]["by_platform"] == {"local": 4} and len(found["volume"]) == 8
    assert "最新进展" in {t["term"] for t in found["related_terms"]}


def test_search_counts_per_day_and_platform(aistack, trends_settings):
    for platform in ("weibo", "zhihu", "baidu"):
        hot(aistack, platform)
    found = data_of(aistack.post("trends", "/api/trends/search", json={"keyword": "人工智能", "platforms": ["weibo", "zhihu", "baidu"]}))
    assert found["date_range"] == "last_7_days" and found["start"].endswith("Z")
    assert found["total_mentions"] == 3 and sum(point["count"] for point in found["volume"]) == 3
    assert found["volume"][-1]["by_platform"] == {"weibo": 1, "zhihu": 1, "baidu": 1}
    terms = {t["term"] for t in found["related_terms"]}
    assert {"大会", "开幕", "新规"} <= terms and "人工智能" not in terms
    # Hottest first.
    assert [(t["platform"], t["heat"]) for t in found["topics"]] == [("zhihu", 12_340_000), ("baidu", 4_960_000), ("weibo", 2_345_678)]
    assert found["topics"][1]["title"] == "人工智能新规发布" and found["topics"][1]["last_seen"].endswith("Z")
    nothing = data_of(aistack.post("trends", "/api/trends/search", json={"keyword": "不存在的话题", "platforms": ["zhihu"]}))
    assert nothing["total_mentions"] == 0 and nothing["related_terms"] == [] and nothing["topics"] == []


def test_bad_search_requests(aistack):
    post = lambda body: aistack.post("trends", "/api/trends/search", json=body)  # noqa: E731
    assert_error(post({}), 400, "INVALID_INPUT", "keyword")
    assert_error(post({"keyword": "  "}), 400, "INVALID_INPUT", "keyword")
    assert_error(post({"keyword": "a", "platforms": ["myspace"]}), 400, "INVALID_INPUT", "platforms[0]")
    assert_error(post({"keyword": "a", "platforms": []}), 400, "INVALID_INPUT", "platforms")
    assert_error(post({"keyword": "a", "date_range": "yesterday"}), 400, "INVALID_INPUT", "date_range")
    assert_error(post({"keyword": "a", "date_range": "last_400_days"}), 400, "INVALID_INPUT", "date_range")


@pytest.mark.parametrize(
    "text, sentiment, language",
    [("这个产品非常好用", "positive", "zh"), ("太差了，非常失望", "negative", "zh"),
     ("This product is great, I love it", "positive", "en"), ("Terrible service, never again", "negative", "en"),
     ("The meeting is at 3pm", "neutral", "en")],
)  # fmt: skip
def test_offline_sentiment(aistack, text, sentiment, language):
    data = data_of(aistack.post("trends", "/api/trends/sentiment", json={"text": text}))
    assert data["sentiment"] == sentiment and data["language"] == language and data["method"] == "offline"
    assert 0 <= data["score"] <= 1 and 0 <= data["confidence"] <= 1
    if sentiment == "positive":
        assert data["score"] > 0.5
    if sentiment == "negative":
        assert data["score"] < 0.5


def test_sentiment_by_the_model_and_offline_when_it_fails(app, aistack, llm, monkeypatch):
    settings = app.extensions["injector"].get(Settings).aistack_trends
    monkeypatch.setattr(settings, "trends_sentiment_backend", SentimentBackend.LLM)
    marker = f"物流很慢 {uuid.uuid4().hex[:8]}"
    llm.script_chat(marker, ChatReply(tool_calls=[ToolCall("LlmSentiment", {"sentiment": "negative", "score": 0.1, "confidence": 0.9})]))
    data = data_of(aistack.post("trends", "/api/trends/sentiment", json={"text": marker}))
    assert data == {"sentiment": "negative", "score": 0.1, "confidence": 0.9, "language": "zh", "method": "llm"}
    assert llm.chat_requests(marker)[0]["tools"][0]["function"]["name"] == "LlmSentiment"
    llm.script_chat(marker, ChatReply(status=500, error_message="the model is down"))
    assert data_of(aistack.post("trends", "/api/trends/sentiment", json={"text": marker}))["method"] == "offline"


def test_bad_sentiment_requests(aistack):
    assert_error(aistack.post("trends", "/api/trends/sentiment", json={}), 400, "INVALID_INPUT", "text")
    assert_error(aistack.post("trends", "/api/trends/sentiment", json={"text": " "}), 400, "INVALID_INPUT", "text")
    assert_error(aistack.post("trends", "/api/trends/sentiment", json={"text": "好" * 5001}), 400, "INVALID_INPUT", "text")


def test_a_report_with_charts_is_stored_and_downloaded(aistack, other_aistack, trends_settings):
    hot(aistack, "weibo")
    hot(aistack, "zhihu")
    body = {"topic": "人工智能", "date_range": "last_30_days", "include_charts": True}
    report = data_of(aistack.post("trends", "/api/trends/reports", json=body), 201)
    assert report["topic"] == "人工智能" and report["summary"]["total_mentions"] == 2
    assert report["summary"]["by_platform"] == {"weibo": 1, "zhihu": 1, "baidu": 0, "local": 0}
    assert sum(report["summary"]["sentiment"].values()) == 2
    assert [c["name"] for c in report["charts"]] == ["volume", "sentiment"]
    assert "# 趋势报告：人工智能" in report["markdown"] and "人工智能大会开幕" in report["markdown"]
    assert f"]({report['charts'][0]['url']})" in report["markdown"]
    assert data_of(aistack.get("trends", f"/api/trends/reports/{report['report_id']}")) == report

    pdf = aistack.get("trends", report["downloads"]["pdf"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"]
    markdown = aistack.get("trends", report["downloads"]["markdown"])
    assert markdown.status_code == 200 and markdown.data.decode() == report["markdown"]
    chart = aistack.get("trends", report["charts"][0]["url"])
    assert chart.status_code == 200 and chart.mimetype == "image/png" and chart.data.startswith(b"\x89PNG")
    assert_error(aistack.get("trends", f"/api/trends/reports/{report['report_id']}/charts/pie"), 404, "RESOURCE_NOT_FOUND")

    # Someone else's report, its files and charts are not found.
    for path in (f"/api/trends/reports/{report['report_id']}", report["downloads"]["pdf"], report["charts"][0]["url"]):
        assert_error(other_aistack.get("trends", path), 404, "RESOURCE_NOT_FOUND")
    assert_error(aistack.get("trends", f"/api/trends/reports/{uuid.uuid4()}"), 404, "RESOURCE_NOT_FOUND")


def test_a_report_without_charts_or_mentions(aistack):
    body = {"topic": "没有人谈论的话题", "include_charts": False}
    report = data_of(aistack.post("trends", "/api/trends/reports", json=body), 201)
    assert report["charts"] == [] and report["summary"]["total_mentions"] == 0 and report["date_range"] == "last_30_days"
    assert "尚无采集到的相关内容" in report["markdown"]
    assert aistack.get("trends", report["downloads"]["pdf"]).data.startswith(b"%PDF")
    assert_error(aistack.post("trends", "/api/trends/reports", json={"topic": ""}), 400, "INVALID_INPUT", "topic")
    assert_error(aistack.post("trends", "/api/trends/reports", json={"topic": "a", "date_range": "last_0_days"}), 400, "INVALID_INPUT", "date_range")
    resp = aistack.get("trends", f"/api/trends/reports/{report['report_id']}/download?format=docx")
    assert_error(resp, 400, "INVALID_INPUT", "format")


@pytest.mark.parametrize("via", VIAS)
def test_every_family_through_both_addresses(aistack, trends_settings):
    assert hot(aistack, "zhihu", limit=1)["topics"][0]["rank"] == 1
    assert data_of(aistack.post("trends", "/api/trends/search", json={"keyword": "徒步"}))["total_mentions"] == 1
    assert data_of(aistack.post("trends", "/api/trends/sentiment", json={"text": "这个产品非常好用"}))["sentiment"] == "positive"
    report = data_of(aistack.post("trends", "/api/trends/reports", json={"topic": "徒步"}), 201)
    assert aistack.get("trends", report["charts"][1]["url"]).data.startswith(b"\x89PNG")
    assert_error(aistack.get("trends", "/api/trends/hot-topics", headers={"Authorization": "Bearer nope"}), 401, "UNAUTHORIZED")
