"""The WeChat webhook (llmops-api.md §17.3): URL verification, and pushed messages checked
(signature on every request, fresh timestamp, safe mode), deduplicated and answered within
WeChat's 5 seconds: the answer when it is ready, else a holding reply and the answer later
(customer-service message, or the "1" command)."""

import time
import uuid
from dataclasses import dataclass

from injector import inject

from config import Settings
from internal.exception import UnauthorizedException, ValidateErrorException
from internal.extension.kv_store import KeyValueStore
from internal.schema.wechat import WechatPushReq, WechatVerifyReq
from pkg.wechat import (
    WeChatCryptoError,
    WeChatMessageCrypto,
    WeChatMessageError,
    encrypted_reply_xml,
    parse_message,
    signature_matches,
    text_reply_xml,
)

from .wechat_config_service import WechatAccount, WechatConfigService
from .wechat_turn_service import WechatTurnService

# WeChat's messages are a few hundred bytes; anything far larger is not from WeChat.
MAX_BODY_BYTES = 64 * 1024
# WeChat retries a message within 15 s; the key outlives that by far.
DEDUPE_TTL = 24 * 3600
# A retried "1" gets the same reply rather than the next part of the answer.
COMMAND_REPLY_TTL = 60
LATEST_ANSWER_COMMANDS = ("1", "/1")
DEFAULT_GREETING = "欢迎关注！请直接发送您的问题。"
UNSUPPORTED_TYPE_REPLY = "暂不支持该类型的消息，请发送文字消息"
UNRECOGNIZED_VOICE_REPLY = "暂时无法识别这条语音，请发送文字消息"
BAD_SIGNATURE = "微信签名校验失败"
STALE_TIMESTAMP = "微信消息时间戳已过期"
NO_AES_KEY = "该应用未配置消息加解密密钥（EncodingAESKey），无法处理安全模式消息"
# What WeChat takes as "received, nothing to reply".
NO_REPLY = "success"


@dataclass(frozen=True)
class WechatReply:
    """The webhook's answer: its body and media type."""

    body: str
    mimetype: str


@inject
@dataclass
class WechatService:
    settings: Settings
    kv_store: KeyValueStore
    wechat_config_service: WechatConfigService
    wechat_turn_service: WechatTurnService

    def verify(self, app_id: uuid.UUID, req: WechatVerifyReq) -> str:
        """WeChat's URL check: the `echostr` back when the signature is the account's."""
        account = self.wechat_config_service.get_account(app_id)
        if not signature_matches(req.signature, account.token, req.timestamp, req.nonce):
            raise UnauthorizedException(BAD_SIGNATURE)
        return req.echostr

    def receive(self, app_id: uuid.UUID, req: WechatPushReq, body: bytes) -> WechatReply:
        """Everything is checked before anything is processed: a refused push changes nothing."""
        # WeChat's 5 seconds run from the request's arrival, checks included.
        deadline = time.monotonic() + self.settings.wechat.wechat_reply_wait
        account = self.wechat_config_service.get_account(app_id)
        if not signature_matches(req.signature, account.token, req.timestamp, req.nonce):
            raise UnauthorizedException(BAD_SIGNATURE)
        if abs(time.time() - int(req.timestamp)) > self.settings.wechat.wechat_timestamp_tolerance:
            raise UnauthorizedException(STALE_TIMESTAMP)
        if len(body) > MAX_BODY_BYTES:
            raise ValidateErrorException(f"body: 消息不能超过{MAX_BODY_BYTES}字节")
        crypto = self._crypto(account, req)
        message = self._message(crypto, req, body)

        text = self._respond(account, message, deadline)
        if text is None:
            return WechatReply(NO_REPLY, "text/plain")
        xml = text_reply_xml(message["FromUserName"], message["ToUserName"], text)
        if crypto is not None:
            xml = encrypted_reply_xml(crypto, xml)
        return WechatReply(xml, "application/xml")

    # -- checks ---------------------------------------------------------------------------------

    def _crypto(self, account: WechatAccount, req: WechatPushReq) -> WeChatMessageCrypto | None:
        if req.encrypt_type in ("", "raw"):
            return None
        if req.encrypt_type != "aes":
            raise ValidateErrorException("encrypt_type: 仅支持raw和aes")
        if not account.encoding_aes_key:
            raise UnauthorizedException(NO_AES_KEY)
        return WeChatMessageCrypto(account.token, account.encoding_aes_key, account.wechat_app_id)

    def _message(self, crypto: WeChatMessageCrypto | None, req: WechatPushReq, body: bytes) -> dict[str, str]:
        try:
            message = parse_message(body)
            if crypto is not None:
                encrypted = message.get("Encrypt", "")
                if not crypto.signature_matches(req.msg_signature, req.timestamp, req.nonce, encrypted):
                    raise UnauthorizedException(BAD_SIGNATURE)
                message = parse_message(crypto.decrypt(encrypted))
        except WeChatMessageError:
            raise ValidateErrorException("body: 不是合法的微信消息XML") from None
        except WeChatCryptoError:
            raise UnauthorizedException(BAD_SIGNATURE) from None
        for field in ("ToUserName", "FromUserName", "CreateTime", "MsgType"):
            if not message.get(field):
                raise ValidateErrorException(f"body: 微信消息缺少{field}")
        return message

    # -- answers --------------------------------------------------------------------------------

    def _respond(self, account: WechatAccount, message: dict[str, str], deadline: float) -> str | None:
        msg_type = message["MsgType"]
        if msg_type == "event":
            if message.get("Event") == "subscribe":
                return self.wechat_turn_service.opening_statement(account.app_id) or DEFAULT_GREETING
            return None
        if msg_type == "text":
            query = message.get("Content", "")
            if query in LATEST_ANSWER_COMMANDS:
                return self._latest_answer(account, message)
            return self._chat(account, message, query, deadline) if query else UNSUPPORTED_TYPE_REPLY
        if msg_type == "voice":
            recognition = message.get("Recognition", "")
            return self._chat(account, message, recognition, deadline) if recognition else UNRECOGNIZED_VOICE_REPLY
        return UNSUPPORTED_TYPE_REPLY

    @staticmethod
    def _dedupe_key(message: dict[str, str]) -> str:
        if message.get("MsgId"):
            return message["MsgId"]
        return f"{message['FromUserName']}:{message['CreateTime']}"

    def _chat(self, account: WechatAccount, message: dict[str, str], query: str, deadline: float) -> str | None:
        """Runs the agent once per message however often WeChat retries it: the first request
        starts the run, retries wait for it; each answers within WECHAT_REPLY_WAIT."""
        msg_key = self._dedupe_key(message)
        first = self.kv_store.reserve(f"wechat:msg:{account.app_id}:{msg_key}", 1, DEDUPE_TTL)
        return self.wechat_turn_service.answer(account, message["FromUserName"], msg_key, query, first, deadline)

    def _latest_answer(self, account: WechatAccount, message: dict[str, str]) -> str:
        cache_key = f"wechat:reply:{account.app_id}:{self._dedupe_key(message)}"
        cached = self.kv_store.get(cache_key)
        if cached is not None:
            return cached
        reply = self.wechat_turn_service.latest_answer(account.app_id, message["FromUserName"])
        self.kv_store.set(cache_key, reply, COMMAND_REPLY_TTL)
        return reply
