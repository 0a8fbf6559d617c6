"""The calls of WeChat's server API the platform makes: a stable access token, a
customer-service text message, and an article's draft and its publication (freepublish). The base URL is a parameter so a local server can play WeChat."""

import json
from dataclasses import dataclass

import httpx

# errcodes meaning the access token is no longer valid: fetch a fresh one and try again.
TOKEN_EXPIRED_CODES = frozenset({40001, 40014, 42001})


class WeChatApiError(Exception):
    """WeChat answered with an errcode, or could not be reached (`errcode` -1)."""

    def __init__(self, errcode: int, errmsg: str):
        self.errcode = errcode
        self.errmsg = errmsg
        super().__init__(f"WeChat API error {errcode}: {errmsg}")


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int


class WeChatApi:
    def __init__(self, base_url: str = "https://api.weixin.qq.com", timeout: float = 5.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _post(self, path: str, body: dict, params: dict | None = None) -> dict:
        # WeChat shows \\uXXXX escapes literally in messages: send the characters themselves.
        content = json.dumps(body, ensure_ascii=False).encode()
        try:
            response = httpx.post(
                f"{self.base_url}{path}",
                params=params,
                content=content,
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=self.timeout,
            )
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise WeChatApiError(-1, f"request failed: {exc}") from None
        if not isinstance(data, dict):
            raise WeChatApiError(-1, "unexpected response")
        if data.get("errcode"):
            raise WeChatApiError(int(data["errcode"]), str(data.get("errmsg", "")))
        return data

    def stable_access_token(self, app_id: str, app_secret: str, force_refresh: bool = False) -> AccessToken:
        """POST /cgi-bin/stable_token: the account's access token, the same one until it expires
        unless `force_refresh`."""
        data = self._post(
            "/cgi-bin/stable_token",
            {"grant_type": "client_credential", "appid": app_id, "secret": app_secret, "force_refresh": force_refresh},
        )
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise WeChatApiError(-1, "no access_token in response")
        return AccessToken(token=token, expires_in=int(data.get("expires_in") or 7200))

    def send_text(self, access_token: str, openid: str, content: str) -> None:
        """POST /cgi-bin/message/custom/send: a customer-service text message to a user."""
        self._post(
            "/cgi-bin/message/custom/send",
            {"touser": openid, "msgtype": "text", "text": {"content": content}},
            params={"access_token": access_token},
        )

    def add_draft(self, access_token: str, articles: list[dict]) -> str:
        """POST /cgi-bin/draft/add: a draft of one or more articles; returns its media_id."""
        data = self._post("/cgi-bin/draft/add", {"articles": articles}, params={"access_token": access_token})
        media_id = data.get("media_id")
        if not isinstance(media_id, str) or not media_id:
            raise WeChatApiError(-1, "no media_id in response")
        return media_id

    def submit_publish(self, access_token: str, media_id: str) -> str:
        """POST /cgi-bin/freepublish/submit: publishes a draft (WeChat finishes it asynchronously);
        returns the publish_id."""
        data = self._post("/cgi-bin/freepublish/submit", {"media_id": media_id}, params={"access_token": access_token})
        publish_id = data.get("publish_id")
        if publish_id in (None, ""):
            raise WeChatApiError(-1, "no publish_id in response")
        return str(publish_id)
