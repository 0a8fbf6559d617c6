"""WeChat official-account shapes (llmops-api.md §17): the config endpoints and the webhook's query."""

import uuid
from typing import Annotated

from pydantic import Field, StringConstraints

from .common import RequestModel, ResponseModel, Timestamp

# Printable ASCII without spaces: WeChat's ids, secrets and tokens are all of that kind.
_CREDENTIAL = r"^[!-~]*$"


def _credential(max_length: int) -> type[str]:
    return Annotated[str, StringConstraints(strip_whitespace=True, max_length=max_length, pattern=_CREDENTIAL)]


class UpdateWechatConfigReq(RequestModel):
    """The three values replace what was saved; a missing one leaves the account unconfigured."""

    wechat_app_id: _credential(64) = ""
    wechat_app_secret: _credential(128) = ""
    wechat_token: _credential(64) = ""
    # Beyond the contract: safe mode's EncodingAESKey (43 characters), empty for plain-text mode.
    wechat_encoding_aes_key: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^([A-Za-z0-9+/]{43})?$")
    ] = ""


class WechatConfigResp(ResponseModel):
    app_id: uuid.UUID
    url: str
    ip: str
    wechat_app_id: str
    wechat_app_secret: str
    wechat_token: str
    wechat_encoding_aes_key: str
    status: str
    updated_at: Timestamp
    created_at: Timestamp


_QUERY_TEXT = Annotated[str, StringConstraints(max_length=128)]
_UNIX_SECONDS = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}$")]


class WechatVerifyReq(RequestModel):
    """GET /wechat/:app_id: WeChat checks the server URL when the account is configured."""

    signature: _QUERY_TEXT
    timestamp: _UNIX_SECONDS
    nonce: _QUERY_TEXT
    echostr: Annotated[str, StringConstraints(max_length=256)]


class WechatPushReq(RequestModel):
    """POST /wechat/:app_id: the query of a pushed message (the message is the raw XML body)."""

    signature: _QUERY_TEXT
    timestamp: _UNIX_SECONDS
    nonce: _QUERY_TEXT
    openid: _QUERY_TEXT = ""
    encrypt_type: _QUERY_TEXT = Field("", description="aes in safe mode")
    msg_signature: _QUERY_TEXT = ""
