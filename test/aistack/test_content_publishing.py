"""The content creation system's publications (POST /api/content/publish, the publications, cancel,
GET /api/content/analytics): credentials checked at the request, publishing by the background
sweep through a webhook or the WeChat official account (draft + freepublish), at its time,
exactly once under concurrent sweeps, cancel before it runs, and the statistics."""

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from internal.aistack.content.models import ContentPublication
from internal.aistack.content.scheduler import INTERRUPTED
from internal.extension.database import db, utcnow
from test.api.apps import create_app, publish as publish_app
from test.api.wechat import configure
from test.fakes.publish_receiver import PublishReceiver

from .client import assert_error, data_of
from .content import get, make_due, prefix_caller, publish, sweep
from .reminders import wait_until

LATER = "2099-11-08T10:00:00Z"


@pytest.fixture
def stack(app, client):
    return prefix_caller(app, client)


@pytest.fixture(scope="module")
def receiver():
    server = PublishReceiver().start()
    yield server
    server.stop()


def hook(receiver: PublishReceiver, name: str) -> tuple[str, str]:
    """(url, path) of the receiver for one test only."""
    path = f"/{name}-{uuid.uuid4().hex[:8]}"
    return receiver.url + path, path


def finished(stack, publication_id: str) -> dict:
    return wait_until(
        lambda: (data := get(stack, publication_id))["status"] in ("published", "failed") and data, "the publication"
    )


# --- the request -------------------------------------------------------------------------------


def test_a_scheduled_publication_is_read_listed_and_cancelled_on_both_addresses(aistack, receiver):
    url, path = hook(receiver, "weibo")
    data = publish(
        aistack, content="发布内容\n第二行", platform="weibo", images=["https://example.com/1.png"], scheduled_time=LATER, webhook_url=url
    )
    assert data["status"] == "scheduled" and data["scheduled_time"] == "2099-11-08T10:00:00Z"
    assert data["platform"] == "weibo" and data["channel"] == "webhook" and data["title"] == "发布内容"
    assert data["images"] == ["https://example.com/1.png"] and data["published_at"] is None and data["reason"] == ""
    assert get(aistack, data["publication_id"]) == data
    listed = aistack.get("content", "/api/content/publications")
    assert data_of(listed) == [data] and listed.json["pagination"]["total_items"] == 1

    cancelled = data_of(aistack.post("content", f"/api/content/publications/{data['publication_id']}/cancel"))
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"].endswith("Z")
    again = aistack.post("content", f"/api/content/publications/{data['publication_id']}/cancel")
    assert assert_error(again, 400, "INVALID_INPUT")["details"] == {"status": "cancelled"}
    assert receiver.received(path) == []


def test_a_platform_without_credentials_is_refused_at_the_request(app, client, stack, fake_wechat):
    for platform in ("weibo", "xiaohongshu", "zhihu", "webhook"):
        assert_error(publish(stack, 400, content="内容", platform=platform), 400, "INVALID_INPUT", "webhook_url")
    # No app of the account has an official account configured.
    assert_error(publish(stack, 400, content="内容", platform="wechat", thumb_media_id="m"), 400, "INVALID_INPUT", "platform")
    unconfigured = create_app(client, stack.member)
    resp = publish(stack, 400, content="内容", platform="wechat", app_id=unconfigured, thumb_media_id="m")
    assert_error(resp, 400, "INVALID_INPUT", "app_id")
    other = prefix_caller(app, client, "Other")
    foreign = create_app(client, other.member)
    assert_error(publish(stack, 400, content="内容", platform="wechat", app_id=foreign), 400, "INVALID_INPUT", "app_id")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"platform": "myspace"}, "platform"),
        ({"content": "  "}, "content"),
        ({"scheduled_time": "明天"}, "scheduled_time"),
        ({"images": ["ftp://x/1.png"]}, "images[0]"),
        ({"webhook_url": "not a url"}, "webhook_url"),
    ],
)
def test_invalid_publish_requests_name_the_field(stack, body, field):
    resp = publish(stack, 400, **({"content": "内容", "platform": "weibo", "webhook_url": "http://127.0.0.1:9/x"} | body))
    assert_error(resp, 400, "INVALID_INPUT", field)


def test_another_accounts_publication_is_not_found(app, client, stack, receiver):
    url, _ = hook(receiver, "mine")
    data = publish(stack, content="内容", platform="weibo", scheduled_time=LATER, webhook_url=url)
    other = prefix_caller(app, client, "Other")
    assert_error(other.get("content", f"/api/content/publications/{data['publication_id']}"), 404, "RESOURCE_NOT_FOUND")
    cancel = other.post("content", f"/api/content/publications/{data['publication_id']}/cancel")
    assert_error(cancel, 404, "RESOURCE_NOT_FOUND")
    assert data_of(other.get("content", "/api/content/publications")) == []
    assert get(stack, data["publication_id"])["status"] == "scheduled"


# --- publishing --------------------------------------------------------------------------------


def test_a_publication_due_now_goes_out_through_the_webhook_with_what_the_platform_reports(stack, receiver):
    url, path = hook(receiver, "now")
    receiver.answer(path, "weibo-post-1", views=120, likes=8)
    data = publish(stack, content="现在发布", title="标题", platform="weibo", images=["https://example.com/a.png"], webhook_url=url)
    done = finished(stack, data["publication_id"])
    assert done["status"] == "published" and done["published_at"].endswith("Z") and done["attempts"] == 1
    assert done["external_id"] == "weibo-post-1" and done["engagement"] == {"views": 120, "likes": 8}
    [request] = receiver.received(path)
    assert request.headers["x-aistack-event"] == "content.publish"
    assert request.json()["publication"] == {
        "publication_id": data["publication_id"],
        "platform": "weibo",
        "title": "标题",
        "content": "现在发布",
        "images": ["https://example.com/a.png"],
        "scheduled_time": data["scheduled_time"],
    }


def test_a_scheduled_publication_waits_for_its_time_and_goes_out_once(app, stack, receiver):
    url, path = hook(receiver, "later")
    data = publish(stack, content="定时发布", platform="xiaohongshu", scheduled_time=LATER, webhook_url=url)
    sweep(app)
    assert get(stack, data["publication_id"])["status"] == "scheduled" and receiver.received(path) == []
    make_due(app, [data["publication_id"]])
    assert sweep(app) >= 1
    assert get(stack, data["publication_id"])["status"] == "published"
    sweep(app)
    assert len(receiver.received(path)) == 1
    cancel = stack.post("content", f"/api/content/publications/{data['publication_id']}/cancel")
    assert assert_error(cancel, 400, "INVALID_INPUT")["details"] == {"status": "published"}


def test_concurrent_sweeps_publish_each_publication_exactly_once(app, stack, receiver):
    url, path = hook(receiver, "race")
    ids = [publish(stack, content=f"第{i}篇", platform="zhihu", scheduled_time=LATER, webhook_url=url)["publication_id"] for i in range(6)]
    make_due(app, ids)
    barrier = threading.Barrier(4)

    def run():
        barrier.wait()
        sweep(app)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.json()["publication"]["publication_id"] for r in receiver.received(path)) == sorted(ids)
    assert {get(stack, i)["status"] for i in ids} == {"published"}
    assert {get(stack, i)["attempts"] for i in ids} == {1}


def test_a_refusing_platform_fails_the_publication_with_its_reason(app, stack, receiver):
    url, path = hook(receiver, "down")
    receiver.fail(path, 502, "bad gateway")
    data = publish(stack, content="失败", platform="weibo", webhook_url=url)
    done = finished(stack, data["publication_id"])
    assert done["status"] == "failed" and done["reason"] == "Webhook返回HTTP 502：bad gateway"
    refused = publish(stack, content="本机地址", platform="weibo", webhook_url="http://127.0.0.2:9/x")
    done = finished(stack, refused["publication_id"])
    assert done["status"] == "failed" and done["reason"].startswith("Webhook请求失败")


def test_the_wechat_official_account_publishes_a_draft(app, client, stack, fake_wechat):
    app_id = create_app(client, stack.member)
    publish_app(client, stack.member, app_id)
    wechat_app_id = f"wx{uuid.uuid4().hex[:16]}"
    secret = uuid.uuid4().hex
    fake_wechat.add_account(wechat_app_id, secret)
    configure(client, stack.member, app_id, wechat_app_id=wechat_app_id, wechat_app_secret=secret, wechat_token="tok123")
    assert_error(publish(stack, 400, content="正文", platform="wechat"), 400, "INVALID_INPUT", "thumb_media_id")

    cover = fake_wechat.add_material(wechat_app_id)
    data = publish(
        stack, content="第一段<b>\n第二段", title="公众号文章", platform="wechat", images=["https://example.com/c.png"], thumb_media_id=cover
    )
    assert data["channel"] == "wechat" and data["app_id"] == app_id  # the account's only configured app
    done = finished(stack, data["publication_id"])
    assert done["status"] == "published", done
    [article] = fake_wechat.published_articles(wechat_app_id)
    assert article["title"] == "公众号文章" and article["thumb_media_id"] == cover
    assert article["content"] == '<p>第一段&lt;b&gt;</p><p>第二段</p><p><img src="https://example.com/c.png"/></p>'
    assert done["external_id"] == next(p["publish_id"] for p in fake_wechat.published if p["app_id"] == wechat_app_id)

    bad_cover = publish(stack, content="正文", title="封面无效", platform="wechat", app_id=app_id, thumb_media_id="MATERIAL_nope")
    done = finished(stack, bad_cover["publication_id"])
    assert done["status"] == "failed" and done["reason"] == "微信公众号接口返回错误 40007：invalid media_id"


# --- analytics ---------------------------------------------------------------------------------


def test_analytics_count_by_platform_and_status_with_the_reported_engagement(aistack, receiver):
    url, path = hook(receiver, "stats")
    receiver.answer(path, "p", views=100, likes=10, shares=1)
    first = publish(aistack, content="一", platform="weibo", webhook_url=url)
    second = publish(aistack, content="二", platform="weibo", webhook_url=url)
    publish(aistack, content="三", platform="zhihu", scheduled_time=LATER, webhook_url=url)
    failing_url, failing_path = hook(receiver, "stats-down")
    receiver.fail(failing_path)
    failed = publish(aistack, content="四", platform="xiaohongshu", webhook_url=failing_url)
    for publication in (first, second, failed):
        finished(aistack, publication["publication_id"])

    data = data_of(aistack.get("content", "/api/content/analytics", query_string={"period": "last_7_days"}))
    assert data["period"] == "last_7_days" and data["total"] == 4
    assert data["by_status"] == {"scheduled": 1, "publishing": 0, "published": 2, "failed": 1, "cancelled": 0}
    assert data["success_rate"] == round(2 / 3, 4)
    assert data["engagement"] == {"views": 200, "likes": 20, "comments": 0, "shares": 2}
    weibo, xhs, zhihu = data["by_platform"]
    assert weibo["platform"] == "weibo" and weibo["total"] == 2 and weibo["engagement"]["views"] == 200
    assert xhs["by_status"]["failed"] == 1 and zhihu["by_status"]["scheduled"] == 1
    start = datetime.fromisoformat(data["start"].replace("Z", "+00:00"))
    assert timedelta(days=6, hours=23) < datetime.now(UTC) - start < timedelta(days=7, minutes=1)

    assert data_of(aistack.get("content", "/api/content/analytics", query_string={"period": "all"}))["start"] is None
    filtered = aistack.get("content", "/api/content/publications", query_string={"filter[platform]": "weibo", "filter[status]": "published"})
    assert {p["publication_id"] for p in data_of(filtered)} == {first["publication_id"], second["publication_id"]}


def test_analytics_of_an_account_without_publications_and_a_bad_period(stack):
    data = data_of(stack.get("content", "/api/content/analytics"))
    assert data["period"] == "last_7_days" and data["total"] == 0 and data["by_platform"] == []
    assert data["success_rate"] is None and data["engagement"] == {"views": 0, "likes": 0, "comments": 0, "shares": 0}
    assert_error(stack.get("content", "/api/content/analytics", query_string={"period": "forever"}), 400, "INVALID_INPUT", "period")


def test_a_claim_interrupted_mid_call_is_failed_after_its_lease_never_republished(app, stack, receiver):
    url, path = hook(receiver, "crash")
    data = publish(stack, content="中断", platform="weibo", scheduled_time=LATER, webhook_url=url)
    with app.app_context():  # as if a sweep claimed it and its process died an hour ago
        db.session.execute(
            update(ContentPublication)
            .where(ContentPublication.id == uuid.UUID(data["publication_id"]))
            .values(status="publishing", scheduled_time=utcnow() - timedelta(hours=1), updated_at=utcnow() - timedelta(hours=1))
        )
        db.session.commit()
        db.session.remove()
    sweep(app)
    done = get(stack, data["publication_id"])
    assert done["status"] == "failed" and done["reason"] == INTERRUPTED and receiver.received(path) == []


def test_a_title_over_the_platforms_limit_is_refused_and_a_derived_one_is_cut(stack, receiver):
    url, _ = hook(receiver, "title")
    resp = publish(stack, 400, content="正文", title="长" * 31, platform="weibo", webhook_url=url, scheduled_time=LATER)
    assert_error(resp, 400, "INVALID_INPUT", "title")
    data = publish(stack, content="长" * 40 + "\n正文", platform="weibo", webhook_url=url, scheduled_time=LATER)
    assert data["title"] == "长" * 30
