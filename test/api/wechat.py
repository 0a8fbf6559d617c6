"""Building blocks for the WeChat tests: a published chat app with a configured official account
(registered at the fake WeChat API) and the pusher that plays WeChat towards the webhook."""

import secrets
import time
import uuid

from test.api.apps import publish
from test.api.assertions import success_data
from test.api.chat import chat_app
from test.fakes.wechat import FakeWechatApi, OfficialAccount, WechatPusher

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def configure(client, member, app_id, **body):
    return client.post(f"/platform/{app_id}/wechat-config", json=body, headers=member.headers)


def get_config(client, member, app_id) -> dict:
    return success_data(client.get(f"/platform/{app_id}/wechat-config", headers=member.headers))


def wechat_app(
    client, member, fake_wechat: FakeWechatApi, custom_send: bool = True, safe_mode: bool = False, **config
) -> tuple[str, str, OfficialAccount, WechatPusher]:
    """A published app on the fake model, configured with a new official account; returns the
    app id, its model marker, the account at the fake WeChat API and a pusher for its webhook."""
    app_id, marker = chat_app(client, member, **config)
    publish(client, member, app_id)
    wechat_app_id = "wx" + secrets.token_hex(8)
    account = fake_wechat.add_account(wechat_app_id, secrets.token_hex(16), custom_send=custom_send)
    token = secrets.token_urlsafe(16)
    body = {"wechat_app_id": wechat_app_id, "wechat_app_secret": account.secret, "wechat_token": token}
    if safe_mode:
        body["wechat_encoding_aes_key"] = AES_KEY
    assert success_data(configure(client, member, app_id, **body), message="更新Agent应用微信配置成功") == {}
    pusher = WechatPusher(client, app_id, token, wechat_app_id, encoding_aes_key=AES_KEY if safe_mode else "")
    return app_id, marker, account, pusher


def new_openid() -> str:
    return "o" + uuid.uuid4().hex[:27]


def wait_until(predicate, timeout: float = 15.0, interval: float = 0.05):
    """Polls until `predicate()` is truthy; returns its value (fails after `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
