"""The OpenAI-compatible surface (`/v1`): the key owner's published apps as models, and chat
completions answered by an app on its published config through the channel-neutral chat service.

A completion is an open-API turn (`service_api`, an end user as the caller), so its
conversations are the open API's: `conversation_id` and `end_user_id` travel as extra fields in
both directions. Without a conversation, the `messages` before the last one are the history.
"""

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask
from injector import inject
from sqlalchemy import select

from internal.core.agent.events import AgentEventType
from internal.core.memory import DialogTurn
from internal.exception import FailException, NotFoundException
from internal.model import App, Conversation, Message
from internal.model.app import AppStatus
from internal.model.conversation import InvokeFrom, MessageStatus
from internal.schema.openai_compat import ChatCompletionReq
from pkg.response.openai_compat import openai_error_body

from .app_publish_service import NOT_PUBLISHED
from .base_service import BaseService
from .chat_service import CONVERSATION_NOT_FOUND, AgentStream, ChatCaller, ChatRequest, ChatResult, ChatService
from .end_user_service import EndUserService
from .open_api_limit_service import OpenApiLimitService

MODEL_NOT_FOUND = "该模型（应用）不存在"
# A failed or timed-out blocking run answers like an upstream failure (the message is stored).
_FAILED_RUN_STATUS = {MessageStatus.ERROR: 502, MessageStatus.TIMEOUT: 504}


@dataclass(frozen=True)
class _Completion:
    """What every chunk or completion of one turn repeats."""

    id: str
    created: int
    model: str
    conversation_id: str
    end_user_id: str

    def body(self, object_: str, **fields: Any) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": object_,
            "created": self.created,
            "model": self.model,
            **fields,
            "conversation_id": self.conversation_id,
            "end_user_id": self.end_user_id,
        }

    def chunk(self, delta: dict[str, str], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return self.body("chat.completion.chunk", choices=[choice])


@inject
@dataclass
class OpenAICompatService(BaseService):
    app: Flask
    chat_service: ChatService
    end_user_service: EndUserService
    limit_service: OpenApiLimitService

    def list_models(self, account_id: uuid.UUID) -> list[App]:
        """The account's published apps, most recently published first."""
        return list(
            self.db.session.scalars(
                select(App)
                .where(App.account_id == account_id, App.status == AppStatus.PUBLISHED)
                .order_by(App.published_at.desc(), App.id)
            )
        )

    def stream(self, account_id: uuid.UUID, req: ChatCompletionReq) -> Iterator[dict[str, Any] | None]:
        """The turn's chunks (None: nothing to say yet, keep the connection alive). Everything
        refusable is refused here, before the stream opens."""
        stream = self.chat_service.stream(self._chat_request(account_id, req))
        include_usage = bool(req.stream_options and req.stream_options.include_usage)
        return self._chunks(stream, self._completion(stream.message_id, req, stream), include_usage)

    def complete(self, account_id: uuid.UUID, req: ChatCompletionReq) -> dict[str, Any]:
        """The whole completion, once the run has ended; a failed run is an upstream error."""
        result = self.chat_service.blocking(self._chat_request(account_id, req))
        if result.status in _FAILED_RUN_STATUS:
            raise FailException(result.error or "应用运行失败", status=_FAILED_RUN_STATUS[result.status])
        completion = self._completion(result.id, req, result)
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": result.answer},
            "logprobs": None,
            "finish_reason": "stop",
        }
        return completion.body("chat.completion", choices=[choice], usage=self._usage(result.id))

    # --- the turn ------------------------------------------------------------------------------

    def _chat_request(self, account_id: uuid.UUID, req: ChatCompletionReq) -> ChatRequest:
        app = self.db.session.get(App, req.model)
        if app is None or app.account_id != account_id:
            raise NotFoundException(MODEL_NOT_FOUND)
        if app.status != AppStatus.PUBLISHED:
            raise FailException(NOT_PUBLISHED)
        if req.end_user_id is not None:
            end_user_id = self.end_user_service.get(app.id, req.end_user_id).id
        elif req.conversation_id is not None:
            # A conversation is enough to name its end user (all of them are the key owner's).
            end_user_id = self._conversation_end_user(app.id, req.conversation_id)
        else:
            end_user_id = self.end_user_service.create(app.id).id
        return ChatRequest(
            app_id=app.id,
            invoke_from=InvokeFrom.SERVICE_API,
            caller=ChatCaller(end_user_id=end_user_id),
            query=req.query,
            conversation_id=req.conversation_id,
            image_urls=req.image_urls,
            history=[] if req.conversation_id else [DialogTurn(q, a) for q, a in req.history()],
            run_slot=self.limit_service.acquire_run_slot(app.id),
        )

    def _conversation_end_user(self, app_id: uuid.UUID, conversation_id: uuid.UUID) -> uuid.UUID:
        end_user_id = self.db.session.scalar(
            select(Conversation.end_user_id).where(
                Conversation.id == conversation_id,
                Conversation.app_id == app_id,
                Conversation.invoke_from == InvokeFrom.SERVICE_API,
                Conversation.is_deleted.is_(False),
            )
        )
        if end_user_id is None:
            raise NotFoundException(CONVERSATION_NOT_FOUND)
        return end_user_id

    @staticmethod
    def _completion(message_id: uuid.UUID, req: ChatCompletionReq, turn: AgentStream | ChatResult) -> _Completion:
        return _Completion(
            id=f"chatcmpl-{message_id}",
            created=int(time.time()),
            model=str(req.model),
            conversation_id=str(turn.conversation_id),
            end_user_id=str(turn.end_user_id),
        )

    def _chunks(
        self, stream: AgentStream, completion: _Completion, include_usage: bool
    ) -> Iterator[dict[str, Any] | None]:
        """Answer chunks as content deltas; tool steps stay inside the app (OpenAI's protocol has
        no place for them). The run's end finishes the choice; a failure is an error chunk,
        which OpenAI's SDKs raise."""
        started = False
        for event in stream.events:
            kind = event.event
            if not started:
                started = True
                yield completion.chunk({"role": "assistant", "content": ""})
            elif kind == AgentEventType.PING:
                yield None
            if kind == AgentEventType.AGENT_MESSAGE and event.answer:
                yield completion.chunk({"content": event.answer})
            elif kind in (AgentEventType.AGENT_END, AgentEventType.STOP):
                yield completion.chunk({}, "stop")
                if include_usage:
                    with self.app.app_context():
                        usage = self._usage(stream.message_id)
                    yield completion.body("chat.completion.chunk", choices=[], usage=usage)
            elif kind in (AgentEventType.ERROR, AgentEventType.TIMEOUT):
                status = 504 if kind == AgentEventType.TIMEOUT else 502
                yield openai_error_body(event.observation or "应用运行失败", status, code=kind.value)

    def _usage(self, message_id: uuid.UUID) -> dict[str, int]:
        row = self.db.session.execute(
            select(Message.message_token_count, Message.answer_token_count, Message.total_token_count).where(
                Message.id == message_id
            )
        ).first()
        prompt, completion, total = row if row is not None else (0, 0, 0)
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}
