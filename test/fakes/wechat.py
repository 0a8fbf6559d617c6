"""Plays WeChat on both sides of an official account.

`FakeWechatApi` is WeChat's server API over real HTTP, in its documented formats: the stable
access token (`POST /cgi-bin/stable_token`, JSON) and customer-service messages
(`POST /cgi-bin/message/custom/send?access_token=…`), article drafts and their publication
(`POST /cgi-bin/draft/add`, `POST /cgi-bin/freepublish/submit`), with WeChat's errcodes. `WechatPusher`
is WeChat's message push: it signs (and in safe mode encrypts) message XML as WeChat does and
posts it to the webhook through a Flask test client, reading the passive reply back.
"""

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from itertools import count

from pkg.wechat import WeChatMessageCrypto, parse_message, sign

from .http_server import FakeServer, RecordedRequest, Reply

_msg_ids = count(int(time.time()) * 1000)


@dataclass
class OfficialAccount:
    app_id: str
    secret: str
    # Unverified subscription accounts may not send customer-service messages (errcode 48001).
    custom_send: bool = True
    token: str = ""
    token_expires_at: float = 0.0
    sent: list[dict] = field(default_factory=list)


class FakeWechatApi(FakeServer):
    def __init__(self):
        super().__init__()
        self.accounts: dict[str, OfficialAccount] = {}
        self._lock = threading.Lock()
        # Seconds each stable_token answer takes (to show that concurrent refreshes queue up).
        self.token_delay = 0.0
        self._init_drafts()

    def add_account(self, app_id: str, secret: str, custom_send: bool = True) -> OfficialAccount:
        account = OfficialAccount(app_id, secret, custom_send)
        with self._lock:
            self.accounts[app_id] = account
        return account

    def invalidate_token(self, app_id: str) -> None:
        """WeChat revoked the token (e.g. another server force-refreshed it)."""
        with self._lock:
            self.accounts[app_id].token = ""

    def token_requests(self, app_id: str) -> list[dict]:
        return [r.json() for r in list(self.requests) if r.path == "/cgi-bin/stable_token" and r.json().get("appid") == app_id]

    def sent_texts(self, app_id: str, openid: str | None = None) -> list[str]:
        account = self.accounts[app_id]
        with self._lock:
            return [m["text"]["content"] for m in account.sent if openid is None or m["touser"] == openid]

    def route(self, request: RecordedRequest) -> Reply:
        if request.method != "POST":
            return Reply(200, {"errcode": 43002, "errmsg": "require POST method"})
        try:
            body = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return Reply(200, {"errcode": 47001, "errmsg": "data format error"})
        if request.path == "/cgi-bin/stable_token":
            return self._stable_token(body)
        if request.path == "/cgi-bin/message/custom/send":
            return self._custom_send(request.query.get("access_token", [""])[0], body)
        if request.path in ("/cgi-bin/draft/add", "/cgi-bin/freepublish/submit"):
            return self._drafts_route(request.path, request.query.get("access_token", [""])[0], body)
        return Reply(404, b"")

    def _stable_token(self, body: dict) -> Reply:
        time.sleep(self.token_delay)
        if body.get("grant_type") != "client_credential":
            return Reply(200, {"errcode": 40002, "errmsg": "invalid grant_type"})
        with self._lock:
            account = self.accounts.get(body.get("appid", ""))
            if account is None:
                return Reply(200, {"errcode": 40013, "errmsg": "invalid appid"})
            if body.get("secret") != account.secret:
                return Reply(200, {"errcode": 40125, "errmsg": "invalid appsecret"})
            if body.get("force_refresh") or not account.token or account.token_expires_at < time.time():
                account.token = "ACCESS_TOKEN_" + secrets.token_hex(16)
                account.token_expires_at = time.time() + 7200
            return Reply(200, {"access_token": account.token, "expires_in": int(account.token_expires_at - time.time())})

    def _custom_send(self, access_token: str, body: dict) -> Reply:
        with self._lock:
            account = next((a for a in self.accounts.values() if access_token and a.token == access_token), None)
            if account is None:
                return Reply(200, {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"})
            if not account.custom_send:
                return Reply(200, {"errcode": 48001, "errmsg": "api unauthorized"})
            if body.get("msgtype") != "text" or not isinstance(body.get("text"), dict) or not body.get("touser"):
                return Reply(200, {"errcode": 40008, "errmsg": "invalid message type"})
            if len(body["text"].get("content", "").encode()) > 2048:
                return Reply(200, {"errcode": 45002, "errmsg": "content size out of limit"})
            account.sent.append(body)
        return Reply(200, {"errcode": 0, "errmsg": "ok"})


    # --- Drafts and publishing (draft/add, freepublish/submit), for AI Stack content ------------
    # A draft's articles need a cover: a permanent image material of the account (add_material
    # stands in for uploading one). Published drafts are kept in `published` with their articles.

    def _init_drafts(self) -> None:
        self.materials: dict[str, str] = {}  # media_id -> app_id
        self.drafts: dict[str, tuple[str, list[dict]]] = {}  # media_id -> (app_id, articles)
        self.published: list[dict] = []  # {"app_id", "publish_id", "media_id", "articles"}
        self._publish_ids = count(2247483647)

    def add_material(self, app_id: str) -> str:
        media_id = "MATERIAL_" + secrets.token_hex(12)
        with self._lock:
            self.materials[media_id] = app_id
        return media_id

    def published_articles(self, app_id: str) -> list[dict]:
        with self._lock:
            return [article for entry in self.published if entry["app_id"] == app_id for article in entry["articles"]]

    def _account_of(self, access_token: str) -> OfficialAccount | None:
        return next((a for a in self.accounts.values() if access_token and a.token == access_token), None)

    def _drafts_route(self, path: str, access_token: str, body: dict) -> Reply:
        with self._lock:
            account = self._account_of(access_token)
            if account is None:
                return Reply(200, {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"})
            if path == "/cgi-bin/draft/add":
                return self._add_draft(account, body)
            return self._submit_publish(account, body)

    def _add_draft(self, account: OfficialAccount, body: dict) -> Reply:
        articles = body.get("articles")
        if not isinstance(articles, list) or not articles or len(articles) > 8:
            return Reply(200, {"errcode": 40114, "errmsg": "invalid index value"})
        for article in articles:
            if not isinstance(article, dict) or not article.get("title") or not article.get("content"):
                return Reply(200, {"errcode": 44003, "errmsg": "empty news data"})
            if len(article["title"]) > 32:
                return Reply(200, {"errcode": 45003, "errmsg": "title size out of limit"})
            if len(article["content"]) >= 20000:
                return Reply(200, {"errcode": 45002, "errmsg": "content size out of limit"})
            if self.materials.get(article.get("thumb_media_id", "")) != account.app_id:
                return Reply(200, {"errcode": 40007, "errmsg": "invalid media_id"})
        media_id = "DRAFT_" + secrets.token_hex(12)
        self.drafts[media_id] = (account.app_id, articles)
        return Reply(200, {"media_id": media_id})

    def _submit_publish(self, account: OfficialAccount, body: dict) -> Reply:
        draft = self.drafts.get(body.get("media_id", ""))
        if draft is None or draft[0] != account.app_id:
            return Reply(200, {"errcode": 40007, "errmsg": "invalid media_id"})
        publish_id = str(next(self._publish_ids))
        del self.drafts[body["media_id"]]
        self.published.append({"app_id": account.app_id, "publish_id": publish_id, "media_id": body["media_id"], "articles": draft[1]})
        return Reply(200, {"errcode": 0, "errmsg": "ok", "publish_id": publish_id, "msg_data_id": int(publish_id)})


@dataclass
class WechatPusher:
    """Posts messages to `/wechat/<app_id>` as WeChat does for one official account."""

    client: object
    app_id: str
    token: str
    wechat_app_id: str = ""
    account_name: str = "gh_test_account"
    # Set: safe mode (encrypt_type=aes) with this EncodingAESKey.
    encoding_aes_key: str = ""

    def query(self, timestamp: int | None = None, **overrides) -> dict:
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = str(secrets.randbelow(10**9))
        return {"signature": sign(self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, **overrides}

    def verify(self, echostr: str = "kjxiusdbmk19dhj0d", **query):
        return self.client.get(f"/wechat/{self.app_id}", query_string={**self.query(), "echostr": echostr, **query})

    def text_xml(self, openid: str, content: str, msg_id: int | None = None, create_time: int | None = None) -> str:
        return (
            f"<xml><ToUserName><![CDATA[{self.account_name}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{create_time or int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{msg_id or next(_msg_ids)}</MsgId></xml>"
        )

    def event_xml(self, openid: str, event: str, create_time: int | None = None) -> str:
        return (
            f"<xml><ToUserName><![CDATA[{self.account_name}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{create_time or int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event></xml>"
        )

    def message_xml(self, openid: str, msg_type: str, fields: dict[str, str]) -> str:
        extra = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
        return (
            f"<xml><ToUserName><![CDATA[{self.account_name}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[{msg_type}]]></MsgType>{extra}<MsgId>{next(_msg_ids)}</MsgId></xml>"
        )

    def push(self, xml: str, query: dict | None = None):
        """POST a message; in safe mode the XML is encrypted and `msg_signature` added."""
        query = dict(query or self.query())
        body = xml
        if self.encoding_aes_key:
            crypto = WeChatMessageCrypto(self.token, self.encoding_aes_key, self.wechat_app_id)
            encrypted = crypto.encrypt(xml)
            query.setdefault("encrypt_type", "aes")
            query.setdefault("msg_signature", crypto.msg_signature(query["timestamp"], query["nonce"], encrypted))
            body = (
                f"<xml><ToUserName><![CDATA[{self.account_name}]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
            )
        return self.client.post(
            f"/wechat/{self.app_id}", query_string=query, data=body.encode(), content_type="text/xml"
        )

    def reply_of(self, resp) -> dict[str, str] | None:
        """The passive reply's fields (decrypted in safe mode); None for WeChat's "no reply"."""
        assert resp.status_code == 200, resp.data
        if resp.data in (b"", b"success"):
            return None
        reply = parse_message(resp.data)
        if self.encoding_aes_key:
            crypto = WeChatMessageCrypto(self.token, self.encoding_aes_key, self.wechat_app_id)
            assert crypto.signature_matches(reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"], reply["Encrypt"])
            reply = parse_message(crypto.decrypt(reply["Encrypt"]))
        return reply

    def say(self, openid: str, content: str, **kwargs) -> str | None:
        """Send a text; the reply's text (None: no reply)."""
        reply = self.reply_of(self.push(self.text_xml(openid, content, **kwargs)))
        return None if reply is None else reply["Content"]
