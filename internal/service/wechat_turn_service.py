"""A WeChat user's questions to an app's agent, and the delivery of each answer exactly once.

Each question runs once, on the chat service (channel `wechat`, the app's published
configuration, the openid's end user), in a background thread; the webhook request waits for it
until WECHAT_REPLY_WAIT. The user's latest question and its undelivered answer live on the
`wechat_end_user` row, so any API process can answer a retry or the "1" command; every delivery
(passive reply, customer-service message, "1") takes the answer from that row in one
conditional update, so only one of them gets it.
"""

import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from flask import Flask
from injector import inject, singleton
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from config import Settings
from internal.exception import CustomException, NotFoundException
from internal.extension.kv_store import KeyValueStore
from internal.model import AppConfig, WechatEndUser
from internal.model.app import AppConfigKind
from internal.model.conversation import InvokeFrom, MessageStatus
from internal.model.wechat import WechatLatestStatus
from pkg.wechat import MAX_TEXT_BYTES, WeChatApi, WeChatApiError, split_text, text_pieces
from pkg.wechat.api import TOKEN_EXPIRED_CODES

from .base_service import BaseService
from .chat_service import ChatCaller, ChatRequest, ChatService
from .end_user_service import EndUserService
from .wechat_config_service import WechatAccount

logger = logging.getLogger(__name__)

HOLDING_REPLY = "思考中，请回复“1”获取结果"
STILL_RUNNING_REPLY = "还在思考中，请稍后回复“1”获取结果"
NOTHING_PENDING_REPLY = "暂无未获取的回答，请直接发送您的问题"
FAILED_REPLY = "抱歉，回答生成失败：{reason}"
MORE_HINT = "\n\n（内容较长，回复“1”查看后续内容）"
# A "1" reply's hint must fit beside the answer within WeChat's limit.
_HEAD_BYTES = MAX_TEXT_BYTES - len(MORE_HINT.encode())
# WeChat answers 48001 to accounts without the customer-service message permission
# (unverified subscription accounts): don't ask again for a while.
NO_PERMISSION_CODE = 48001
NO_PERMISSION_TTL = 3600
# How often a retried request looks at the row while the first one's run goes on.
POLL_INTERVAL = 0.2
_FAILURE_REASONS = {MessageStatus.TIMEOUT: "回答超时", MessageStatus.STOP: "回答已停止"}


def reply_head(text: str) -> tuple[str, str]:
    """What one reply carries (with the hint when more is left) and what is left for "1"."""
    head, rest = split_text(text, MAX_TEXT_BYTES)
    if not rest:
        return head, ""
    head, rest = split_text(text, _HEAD_BYTES)
    return head + MORE_HINT, rest


@dataclass
class _Turn:
    """One question's run in this process, as the request that started it waits for it."""

    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    handed_off: bool = False
    text: str = ""

    def wait(self, deadline: float) -> bool:
        """True when the run ended in time; otherwise the run delivers its answer itself."""
        self.done.wait(max(0.0, deadline - time.monotonic()))
        with self.lock:
            if self.done.is_set():
                return True
            self.handed_off = True
            return False

    def finish(self, text: str) -> bool:
        """Record the reply text; True when nobody waits for it any more."""
        with self.lock:
            self.text = text
            self.done.set()
            return self.handed_off


@singleton
@inject
@dataclass
class WechatTurnService(BaseService):
    app: Flask
    settings: Settings
    kv_store: KeyValueStore
    chat_service: ChatService
    end_user_service: EndUserService

    def __post_init__(self):
        wechat = self.settings.wechat
        self.api = WeChatApi(wechat.wechat_api_base, wechat.wechat_http_timeout)
        # Each thread mostly waits on the chat service's run; the runs themselves are bounded there.
        self.pool = ThreadPoolExecutor(self.settings.agent.agent_max_concurrent_runs, thread_name_prefix="wechat-turn")

    # -- the webhook's side -------------------------------------------------------------------

    def answer(self, account: WechatAccount, openid: str, msg_key: str, query: str, first: bool, deadline: float) -> str | None:
        """The reply to a question (None: nothing, another request delivered it). `first` is
        the request that runs it; retries only wait for that run."""
        if first:
            row = self._end_user(account.app_id, openid)
            row_id, end_user_id, conversation_id = row.id, row.end_user_id, row.conversation_id
            self._set_latest(row_id, msg_key)
            turn = _Turn()
            self.pool.submit(self._run, turn, account, openid, row_id, end_user_id, conversation_id, msg_key, query)
            # No database connection is held while waiting: hundreds of requests wait at once.
            self.db.session.close()
            if not turn.wait(deadline):
                return HOLDING_REPLY
            taken = self._take(account.app_id, openid, msg_key, whole=False)
            if taken is None and not self._is_latest(account.app_id, openid, msg_key):
                # A newer question took the "latest" place meanwhile: this answer goes out directly.
                return reply_head(turn.text)[0]
            return taken
        while time.monotonic() < deadline:
            status = self._status(account.app_id, openid, msg_key)
            if status == WechatLatestStatus.DONE:
                return self._take(account.app_id, openid, msg_key, whole=False)
            if status in (WechatLatestStatus.SENDING, WechatLatestStatus.DELIVERED):
                return None
            # Running, or not yet (or no longer) the user's latest question: wait and see.
            self.db.session.close()
            time.sleep(POLL_INTERVAL)
        return HOLDING_REPLY

    def latest_answer(self, app_id: uuid.UUID, openid: str) -> str:
        """The "1" command: the undelivered answer to the user's latest question (the next part
        of a long one), or where that question stands."""
        row = self._row(app_id, openid)
        if row is None or not row.latest_msg_key:
            return NOTHING_PENDING_REPLY
        if row.latest_status in (WechatLatestStatus.RUNNING, WechatLatestStatus.SENDING):
            return STILL_RUNNING_REPLY
        taken = self._take(app_id, openid, row.latest_msg_key, whole=False)
        return taken or NOTHING_PENDING_REPLY

    def opening_statement(self, app_id: uuid.UUID) -> str:
        stmt = select(AppConfig.opening_statement).where(
            AppConfig.app_id == app_id, AppConfig.kind == AppConfigKind.PUBLISHED
        )
        return self.db.session.scalar(stmt) or ""

    # -- the run --------------------------------------------------------------------------------

    def _run(self, turn: _Turn, account: WechatAccount, openid: str, row_id: uuid.UUID, end_user_id: uuid.UUID,
             conversation_id: uuid.UUID | None, msg_key: str, query: str) -> None:
        with self.app.app_context():
            try:
                text = self._chat(account.app_id, row_id, end_user_id, conversation_id, query)
            except Exception:
                logger.exception("WeChat turn of app %s failed", account.app_id)
                text = FAILED_REPLY.format(reason="服务器内部错误")
            self.db.session.execute(
                update(WechatEndUser)
                .where(WechatEndUser.id == row_id, WechatEndUser.latest_msg_key == msg_key)
                .values(latest_status=WechatLatestStatus.DONE, latest_answer=text)
            )
            self.db.session.commit()
            if turn.finish(text):
                self._deliver_later(account, openid, msg_key, text)

    def _chat(self, app_id: uuid.UUID, row_id: uuid.UUID, end_user_id: uuid.UUID,
              conversation_id: uuid.UUID | None, query: str) -> str:
        req = ChatRequest(
            app_id=app_id,
            invoke_from=InvokeFrom.WECHAT,
            caller=ChatCaller(end_user_id=end_user_id),
            query=query,
            conversation_id=conversation_id,
        )
        try:
            try:
                result = self.chat_service.blocking(req)
            except NotFoundException:
                if conversation_id is None:
                    raise
                # The user's conversation was deleted: carry on in a new one.
                req.conversation_id = None
                result = self.chat_service.blocking(req)
        except CustomException as exc:
            return FAILED_REPLY.format(reason=exc.message)
        if result.conversation_id != conversation_id:
            self.db.session.execute(
                update(WechatEndUser).where(WechatEndUser.id == row_id).values(conversation_id=result.conversation_id)
            )
            self.db.session.commit()
        if result.status != MessageStatus.NORMAL:
            return FAILED_REPLY.format(reason=result.error or _FAILURE_REASONS.get(result.status, result.status))
        return result.answer

    def _deliver_later(self, account: WechatAccount, openid: str, msg_key: str, text: str) -> None:
        """The webhook already answered "thinking": send the answer as a customer-service
        message when the account may; what cannot be sent stays for "1"."""
        if self.kv_store.exists(self._no_permission_key(account)):
            return
        latest = self._take(account.app_id, openid, msg_key, whole=True)
        if latest is None and self._is_latest(account.app_id, openid, msg_key):
            return  # a retry or "1" delivered it meanwhile
        unsent = self._send(account, openid, latest if latest is not None else text)
        if latest is not None:
            self._sent(account.app_id, openid, msg_key, unsent)

    # -- customer-service messages ------------------------------------------------------------

    def _send(self, account: WechatAccount, openid: str, text: str) -> str:
        """Send `text` in pieces WeChat accepts; returns what could not be sent ("" when all was)."""
        pieces = text_pieces(text)
        try:
            token = self._access_token(account)
            while pieces:
                try:
                    self.api.send_text(token, openid, pieces[0])
                except WeChatApiError as exc:
                    if exc.errcode not in TOKEN_EXPIRED_CODES:
                        raise
                    token = self._access_token(account, stale=token)
                    self.api.send_text(token, openid, pieces[0])
                pieces.pop(0)
        except WeChatApiError as exc:
            if exc.errcode == NO_PERMISSION_CODE:
                self.kv_store.set(self._no_permission_key(account), "1", NO_PERMISSION_TTL)
            logger.warning("WeChat customer-service message for app %s not sent: %s", account.app_id, exc)
        return "".join(pieces)

    def _access_token(self, account: WechatAccount, stale: str | None = None) -> str:
        """The account's stable access token, cached; one process at a time fetches a new one,
        the others wait and take it from the cache. `stale`: a token WeChat refused."""
        key = f"wechat:access_token:{account.wechat_app_id}"
        cached = self.kv_store.get(key)
        if cached and cached != stale:
            return cached
        with self.kv_store.lock(key, timeout=int(self.settings.wechat.wechat_http_timeout) + 5):
            cached = self.kv_store.get(key)
            if cached and cached != stale:
                return cached
            token = self.api.stable_access_token(account.wechat_app_id, account.app_secret, force_refresh=stale is not None)
            # Renewed a little before WeChat expires it.
            self.kv_store.set(key, token.token, max(60, token.expires_in - 300))
            return token.token

    @staticmethod
    def _no_permission_key(account: WechatAccount) -> str:
        return f"wechat:no_custom_send:{account.wechat_app_id}"

    # -- the end user's row -------------------------------------------------------------------

    def _row(self, app_id: uuid.UUID, openid: str) -> WechatEndUser | None:
        stmt = select(WechatEndUser).where(WechatEndUser.app_id == app_id, WechatEndUser.openid == openid)
        return self.db.session.scalar(stmt.execution_options(populate_existing=True))

    def _end_user(self, app_id: uuid.UUID, openid: str) -> WechatEndUser:
        row = self._row(app_id, openid)
        if row is not None:
            return row
        end_user = self.end_user_service.create(app_id)
        try:
            with self.db.auto_commit():
                row = WechatEndUser(app_id=app_id, openid=openid, end_user_id=end_user.id)
                self.db.session.add(row)
        except IntegrityError:
            # The same user's first two messages arrived together: the other request made the row.
            return self._row(app_id, openid)
        return row

    def _set_latest(self, row_id: uuid.UUID, msg_key: str) -> None:
        self.db.session.execute(
            update(WechatEndUser)
            .where(WechatEndUser.id == row_id)
            .values(latest_msg_key=msg_key, latest_status=WechatLatestStatus.RUNNING, latest_answer="")
        )
        self.db.session.commit()

    def _status(self, app_id: uuid.UUID, openid: str, msg_key: str) -> str | None:
        """How the question stands, or None when it is no longer the user's latest."""
        row = self._row(app_id, openid)
        if row is None or row.latest_msg_key != msg_key:
            return None
        return row.latest_status

    def _is_latest(self, app_id: uuid.UUID, openid: str, msg_key: str) -> bool:
        return self._status(app_id, openid, msg_key) is not None

    def _take(self, app_id: uuid.UUID, openid: str, msg_key: str, whole: bool) -> str | None:
        """Take the undelivered answer in one conditional update: its next reply's worth, or
        all of it when `whole` (then it is SENDING until `_sent`); None when there is none or
        another delivery took it first."""
        row = self._row(app_id, openid)
        if row is None or row.latest_msg_key != msg_key or row.latest_status != WechatLatestStatus.DONE:
            return None
        if whole:
            taken, rest, status = row.latest_answer, row.latest_answer, WechatLatestStatus.SENDING
        else:
            taken, rest = reply_head(row.latest_answer)
            status = WechatLatestStatus.DONE if rest else WechatLatestStatus.DELIVERED
        claimed = self.db.session.execute(
            update(WechatEndUser)
            .where(
                WechatEndUser.id == row.id,
                WechatEndUser.latest_msg_key == msg_key,
                WechatEndUser.latest_status == WechatLatestStatus.DONE,
                WechatEndUser.latest_answer == row.latest_answer,
            )
            .values(latest_answer=rest, latest_status=status)
        )
        self.db.session.commit()
        return taken if claimed.rowcount == 1 else None

    def _sent(self, app_id: uuid.UUID, openid: str, msg_key: str, unsent: str) -> None:
        """After a customer-service delivery: delivered, or what could not be sent is the
        answer "1" returns."""
        self.db.session.execute(
            update(WechatEndUser)
            .where(
                WechatEndUser.app_id == app_id,
                WechatEndUser.openid == openid,
                WechatEndUser.latest_msg_key == msg_key,
                WechatEndUser.latest_status == WechatLatestStatus.SENDING,
            )
            .values(
                latest_answer=unsent,
                latest_status=WechatLatestStatus.DONE if unsent else WechatLatestStatus.DELIVERED,
            )
        )
        self.db.session.commit()
