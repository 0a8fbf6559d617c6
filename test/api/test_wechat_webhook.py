"""llmops-api.md §17.3: the WeChat webhook. WeChat is played by the pusher (signed, optionally
encrypted message pushes through the test client) and the fake WeChat API (access tokens and
customer-service messages over HTTP); the agent runs on the session's fake model."""

import threading
import time
import uuid

import pytest
from sqlalchemy import func, select

from config import Settings
from internal.extension.database import db
from internal.model import WechatEndUser
from test.api.apps import publish
from test.api.assertions import assert_envelope, assert_fail, assert_not_found, assert_validate_error
from test.api.chat import chat_app
from test.api.wechat import configure, new_openid, wait_until, wechat_app
from test.fakes.openai_server import ChatReply
from test.fakes.wechat import WechatPusher

HOLDING = "思考中，请回复“1”获取结果"
NOTHING_PENDING = "暂无未获取的回答，请直接发送您的问题"
STILL_RUNNING = "还在思考中，请稍后回复“1”获取结果"
MORE_HINT = "\n\n（内容较长，回复“1”查看后续内容）"


@pytest.fixture
def reply_wait(app):
    """Sets how long the webhook waits for an answer (restored afterwards): the holding reply's
    path without waiting the full 4.0 s in every test."""
    wechat = app.extensions["injector"].get(Settings).wechat
    original = wechat.wechat_reply_wait

    def set_wait(seconds: float) -> None:
        wechat.wechat_reply_wait = seconds

    yield set_wait
    wechat.wechat_reply_wait = original


def latest_answer(pusher, openid, command: str = "1") -> str:
    """What "1" returns once the latest question is no longer being answered or delivered."""
    return wait_until(lambda: (reply := pusher.say(openid, command)) != STILL_RUNNING and reply)


def wechat_users(app, app_id) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(WechatEndUser).where(WechatEndUser.app_id == uuid.UUID(app_id)))


# --- GET: the server URL check ---------------------------------------------------------------------


def test_url_check_answers_the_raw_echostr(client, member, fake_wechat):
    _, _, _, pusher = wechat_app(client, member, fake_wechat)
    resp = pusher.verify(echostr="kjxiusdbmk19dhj0d")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    assert resp.get_data(as_text=True) == "kjxiusdbmk19dhj0d"


def test_url_check_refuses_a_wrong_or_missing_signature(client, member, fake_wechat):
    _, _, _, pusher = wechat_app(client, member, fake_wechat)
    resp = pusher.verify(signature="0" * 40)
    assert_envelope(resp, 401, "unauthorized")
    assert resp.json["message"] == "微信签名校验失败"
    resp = client.get(f"/wechat/{pusher.app_id}", query_string={"timestamp": "1", "nonce": "2", "echostr": "x"})
    assert_validate_error(resp, "signature")


def test_unknown_unpublished_or_unconfigured_apps_are_refused(client, member, fake_wechat):
    app_id, _, _, pusher = wechat_app(client, member, fake_wechat)
    assert_not_found(WechatPusher(client, str(uuid.uuid4()), pusher.token).verify())
    client.post(f"/apps/{app_id}/cancel-publish", headers=member.headers)
    assert_fail(pusher.verify())
    assert_fail(pusher.push(pusher.text_xml(new_openid(), "你好")))

    unconfigured, _ = chat_app(client, member)
    publish(client, member, unconfigured)
    configure(client, member, unconfigured, wechat_app_id="wx1", wechat_token="tok")  # no secret
    resp = WechatPusher(client, unconfigured, "tok").verify()
    assert_fail(resp)
    assert resp.json["message"] == "该应用未配置微信公众号，请配置后重试"


# --- POST: what is refused processes nothing --------------------------------------------------------


def test_unsigned_badly_signed_and_stale_pushes_are_refused_and_process_nothing(app, client, member, fake_wechat, llm):
    app_id, marker, _, pusher = wechat_app(client, member, fake_wechat)
    openid = new_openid()
    xml = pusher.text_xml(openid, "你好")
    unsigned = client.post(f"/wechat/{app_id}", data=xml, content_type="text/xml")
    assert_validate_error(unsigned, "signature")
    bad = pusher.push(xml, {**pusher.query(), "signature": "0" * 40})
    assert_envelope(bad, 401, "unauthorized")
    # Signed correctly, but ten minutes old: a replayed push.
    stale = pusher.push(xml, pusher.query(timestamp=int(time.time()) - 600))
    assert_envelope(stale, 401, "unauthorized")
    assert stale.json["message"] == "微信消息时间戳已过期"
    assert_validate_error(pusher.push(xml, pusher.query(timestamp="abc")), "timestamp")

    assert llm.chat_requests(marker) == [] and wechat_users(app, app_id) == 0
    # The same message, properly signed, is still answered: the refusals consumed nothing.
    assert pusher.reply_of(pusher.push(xml))["Content"] == "Echo: 你好"


@pytest.mark.parametrize(
    "body",
    [
        b"not xml",
        b"<html/>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><xml>&b;</xml>',
        b"<xml><MsgType>text</MsgType></xml>",
    ],
)
def test_what_is_not_a_wechat_message_is_a_validate_error(client, member, fake_wechat, body):
    _, _, _, pusher = wechat_app(client, member, fake_wechat)
    resp = client.post(f"/wechat/{pusher.app_id}", query_string=pusher.query(), data=body, content_type="text/xml")
    assert_validate_error(resp, "body")


# --- replies without the agent ----------------------------------------------------------------------


def test_subscribing_gets_the_opening_statement(client, member, fake_wechat, llm):
    _, marker, _, pusher = wechat_app(client, member, fake_wechat, opening_statement="欢迎使用LLMOps助手！")
    openid = new_openid()
    reply = pusher.reply_of(pusher.push(pusher.event_xml(openid, "subscribe")))
    assert reply["Content"] == "欢迎使用LLMOps助手！" and reply["MsgType"] == "text"
    assert reply["ToUserName"] == openid and reply["FromUserName"] == pusher.account_name
    assert pusher.reply_of(pusher.push(pusher.event_xml(openid, "unsubscribe"))) is None
    assert llm.chat_requests(marker) == []


def test_other_message_types_get_a_clear_text_reply(client, member, fake_wechat, llm):
    _, marker, _, pusher = wechat_app(client, member, fake_wechat)
    openid = new_openid()
    image = pusher.reply_of(pusher.push(pusher.message_xml(openid, "image", {"PicUrl": "http://x/a.png", "MediaId": "m"})))
    assert image["Content"] == "暂不支持该类型的消息，请发送文字消息"
    voice = pusher.reply_of(pusher.push(pusher.message_xml(openid, "voice", {"MediaId": "m", "Format": "amr"})))
    assert voice["Content"] == "暂时无法识别这条语音，请发送文字消息"
    assert pusher.say(openid, "1") == NOTHING_PENDING
    assert pusher.say(openid, "/1") == NOTHING_PENDING
    assert llm.chat_requests(marker) == []


# --- the agent's answers ------------------------------------------------------------------------------


def test_a_text_message_is_answered_by_the_agent_in_a_passive_reply(app, client, member, fake_wechat, llm):
    app_id, marker, _, pusher = wechat_app(client, member, fake_wechat)
    llm.script_chat(marker, "LLMOps是大语言模型应用的运维平台。")
    openid = new_openid()
    reply = pusher.reply_of(pusher.push(pusher.text_xml(openid, "什么是LLMOps？")))
    assert reply["Content"] == "LLMOps是大语言模型应用的运维平台。"
    assert reply["ToUserName"] == openid and reply["FromUserName"] == pusher.account_name
    (request,) = llm.chat_requests(marker)
    assert request["messages"][-1]["content"] == "什么是LLMOps？"
    # Delivered: nothing is left for "1".
    assert pusher.say(openid, "1") == NOTHING_PENDING
    assert wechat_users(app, app_id) == 1


def test_one_openid_is_one_end_user_with_one_conversation(app, client, member, fake_wechat, llm):
    app_id, marker, _, pusher = wechat_app(client, member, fake_wechat)
    alice, bob = new_openid(), new_openid()
    llm.script_chat(marker, "记住了，你叫小明。", "你叫小明。")
    assert pusher.say(alice, "我叫小明") == "记住了，你叫小明。"
    assert pusher.say(alice, "我叫什么？") == "你叫小明。"
    second = llm.chat_requests(marker)[-1]
    assert "我叫小明" in str(second["messages"])  # the first round is the second's history
    pusher.say(bob, "我叫什么？")
    assert "我叫小明" not in str(llm.chat_requests(marker)[-1]["messages"])
    assert wechat_users(app, app_id) == 2


def test_voice_uses_wechats_recognition_text(client, member, fake_wechat, llm):
    _, marker, _, pusher = wechat_app(client, member, fake_wechat)
    llm.script_chat(marker, "明天晴。")
    xml = pusher.message_xml(new_openid(), "voice", {"MediaId": "m", "Format": "amr", "Recognition": "明天天气怎么样"})
    assert pusher.reply_of(pusher.push(xml))["Content"] == "明天晴。"
    assert llm.chat_requests(marker)[-1]["messages"][-1]["content"] == "明天天气怎么样"


def test_retries_of_a_message_run_the_agent_once(client, member, fake_wechat, llm):
    _, marker, _, pusher = wechat_app(client, member, fake_wechat)
    llm.script_chat(marker, "只回答一次。")
    xml = pusher.text_xml(new_openid(), "重试的问题")
    replies = [pusher.reply_of(pusher.push(xml)) for _ in range(3)]
    assert replies[0]["Content"] == "只回答一次。"
    assert replies[1:] == [None, None]  # delivered already: WeChat's "success"
    assert len(llm.chat_requests(marker)) == 1


def test_concurrent_retries_run_the_agent_once_and_deliver_the_answer_once(app, member, fake_wechat, llm):
    client = app.test_client()
    _, marker, _, pusher = wechat_app(client, member, fake_wechat)
    llm.script_chat(marker, ChatReply(text="并发也只回答一次。", delay=0.5))
    xml = pusher.text_xml(new_openid(), "并发重试的问题")
    replies = [None] * 3

    def push(i):
        own = WechatPusher(app.test_client(), pusher.app_id, pusher.token, pusher.wechat_app_id)
        replies[i] = own.reply_of(own.push(xml))

    threads = [threading.Thread(target=push, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answered = [r["Content"] for r in replies if r is not None]
    assert answered == ["并发也只回答一次。"], replies
    assert len(llm.chat_requests(marker)) == 1


def test_a_long_answer_is_cut_to_2048_bytes_and_the_rest_comes_with_1(client, member, fake_wechat, llm):
    _, marker, _, pusher = wechat_app(client, member, fake_wechat)
    answer = "长" * 1500  # 4500 UTF-8 bytes
    llm.script_chat(marker, ChatReply(text=answer, chunk_size=200))
    openid = new_openid()
    parts = [pusher.say(openid, "写一篇长文")]
    while parts[-1].endswith(MORE_HINT):
        parts.append(pusher.say(openid, "1"))
    assert len(parts) == 3 and all(len(p.encode()) <= 2048 for p in parts)
    assert "".join(p.removesuffix(MORE_HINT) for p in parts) == answer
    assert pusher.say(openid, "1") == NOTHING_PENDING


def test_safe_mode_messages_are_decrypted_and_replies_encrypted(client, member, fake_wechat, llm):
    _, marker, _, pusher = wechat_app(client, member, fake_wechat, safe_mode=True)
    llm.script_chat(marker, "安全模式的回答。")
    openid = new_openid()
    resp = pusher.push(pusher.text_xml(openid, "安全模式的问题"))
    assert b"Encrypt" in resp.data and "安全模式".encode() not in resp.data
    assert pusher.reply_of(resp)["Content"] == "安全模式的回答。"
    assert llm.chat_requests(marker)[-1]["messages"][-1]["content"] == "安全模式的问题"


def test_safe_mode_refuses_a_wrong_msg_signature_or_a_foreign_app_id(client, member, fake_wechat, llm):
    _, marker, _, pusher = wechat_app(client, member, fake_wechat, safe_mode=True)
    xml = pusher.text_xml(new_openid(), "你好")
    assert_envelope(pusher.push(xml, {**pusher.query(), "msg_signature": "0" * 40}), 401, "unauthorized")
    foreign = WechatPusher(client, pusher.app_id, pusher.token, "wx_other_account", encoding_aes_key=pusher.encoding_aes_key)
    assert_envelope(foreign.push(xml), 401, "unauthorized")
    assert llm.chat_requests(marker) == []


def test_safe_mode_without_a_configured_key_is_refused(client, member, fake_wechat, llm):
    _, marker, _, pusher = wechat_app(client, member, fake_wechat)
    pusher.encoding_aes_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    assert_envelope(pusher.push(pusher.text_xml(new_openid(), "你好")), 401, "unauthorized")
    assert llm.chat_requests(marker) == []


# --- slow answers ------------------------------------------------------------------------------------


def test_a_slow_answer_is_held_then_sent_as_a_customer_service_message(client, member, fake_wechat, llm, reply_wait):
    reply_wait(1.0)
    _, marker, account, pusher = wechat_app(client, member, fake_wechat)
    llm.script_chat(marker, ChatReply(text="慢慢想出来的回答。", delay=2.0))
    openid = new_openid()
    assert pusher.say(openid, "难题") == HOLDING
    assert wait_until(lambda: fake_wechat.sent_texts(account.app_id, openid)) == ["慢慢想出来的回答。"]
    assert latest_answer(pusher, openid) == NOTHING_PENDING  # delivered once, not again
    (token_request,) = fake_wechat.token_requests(account.app_id)
    assert token_request == {
        "grant_type": "client_credential",
        "appid": account.app_id,
        "secret": account.secret,
        "force_refresh": False,
    }


def test_without_the_customer_service_permission_1_returns_the_latest_answer(client, member, fake_wechat, llm, reply_wait):
    reply_wait(1.0)
    _, marker, account, pusher = wechat_app(client, member, fake_wechat, custom_send=False)
    llm.script_chat(marker, ChatReply(text="第一个回答。", delay=2.0), ChatReply(text="第二个回答。", delay=2.0))
    openid = new_openid()
    assert pusher.say(openid, "第一个问题") == HOLDING
    assert pusher.say(openid, "1") == STILL_RUNNING
    assert latest_answer(pusher, openid) == "第一个回答。"
    assert pusher.say(openid, "/1") == NOTHING_PENDING
    # "1" always concerns the latest question only.
    assert pusher.say(openid, "第二个问题") == HOLDING
    assert latest_answer(pusher, openid, "/1") == "第二个回答。"
    assert fake_wechat.sent_texts(account.app_id) == []


def test_a_refused_access_token_is_refreshed_once(client, member, fake_wechat, llm, reply_wait):
    reply_wait(1.0)
    _, marker, account, pusher = wechat_app(client, member, fake_wechat)
    llm.script_chat(marker, ChatReply(text="回答一。", delay=1.5), ChatReply(text="回答二。", delay=1.5))
    openid = new_openid()
    assert pusher.say(openid, "问题一") == HOLDING
    wait_until(lambda: fake_wechat.sent_texts(account.app_id, openid))
    fake_wechat.invalidate_token(account.app_id)
    assert pusher.say(openid, "问题二") == HOLDING
    assert wait_until(lambda: len(fake_wechat.sent_texts(account.app_id, openid)) == 2)
    assert fake_wechat.sent_texts(account.app_id, openid) == ["回答一。", "回答二。"]
    assert [r["force_refresh"] for r in fake_wechat.token_requests(account.app_id)] == [False, True]


def test_the_reply_leaves_within_wechats_5_seconds_while_the_model_is_slower(client, member, fake_wechat, llm):
    """WeChat's protocol rule with the default WECHAT_REPLY_WAIT (4.0 s): a model slower than
    5 s still gets a reply in time (the model's 6 s keep the suite short; 30 s behave the same)."""
    _, marker, account, pusher = wechat_app(client, member, fake_wechat, custom_send=False)
    llm.script_chat(marker, ChatReply(text="六秒后的回答。", delay=6.0))
    openid = new_openid()
    started = time.monotonic()
    reply = pusher.say(openid, "慢问题")
    elapsed = time.monotonic() - started
    assert reply == HOLDING and elapsed < 5.0, elapsed
    assert latest_answer(pusher, openid) == "六秒后的回答。"
