"""The channel-neutral chat service through its public interface, for channels whose doors arrive
later (web app, WeChat): published configuration, callers' own conversations per channel, stop by
caller, and the caller's shape."""

import uuid

import pytest

from internal.exception import FailException, NotFoundException
from internal.model.conversation import InvokeFrom
from internal.service.chat_service import ChatCaller, ChatRequest, ChatService
from internal.service.end_user_service import EndUserService
from test.api.apps import publish
from test.api.chat import chat_app
from test.fakes.openai_server import ChatReply


def service(app, cls):
    return app.extensions["injector"].get(cls)


def test_a_caller_is_an_account_or_an_end_user():
    with pytest.raises(ValueError):
        ChatCaller()
    with pytest.raises(ValueError):
        ChatCaller(account_id=uuid.uuid4(), end_user_id=uuid.uuid4())


def test_a_web_app_turn_runs_the_published_config_and_continues_only_the_callers_conversation(app, client, member, other_member, llm):
    app_id, marker = chat_app(client, member)
    llm.script_chat(marker, "first answer", "second answer")
    chat = service(app, ChatService)
    with app.test_request_context():
        with pytest.raises(FailException):
            chat.blocking(ChatRequest(uuid.UUID(app_id), InvokeFrom.WEB_APP, ChatCaller(account_id=other_member.id), "hi"))
    publish(client, member, app_id)

    with app.test_request_context():
        # Any signed-in account may chat with a published app (llmops-api-index.md D57).
        first = chat.blocking(ChatRequest(uuid.UUID(app_id), InvokeFrom.WEB_APP, ChatCaller(account_id=other_member.id), "hi"))
    assert first.answer == "first answer" and first.end_user_id is None
    assert [thought["event"] for thought in first.agent_thoughts] == ["agent_message"]

    with app.test_request_context():
        for caller, channel in (
            (ChatCaller(account_id=member.id), InvokeFrom.WEB_APP),
            (ChatCaller(account_id=other_member.id), InvokeFrom.DEBUGGER),
        ):
            with pytest.raises(NotFoundException):
                chat.blocking(ChatRequest(uuid.UUID(app_id), channel, caller, "again", conversation_id=first.conversation_id))
        second = chat.blocking(
            ChatRequest(
                uuid.UUID(app_id), InvokeFrom.WEB_APP, ChatCaller(account_id=other_member.id), "again",
                conversation_id=first.conversation_id,
            )
        )
    assert second.answer == "second answer" and second.conversation_id == first.conversation_id


def test_a_wechat_end_user_streams_and_only_its_caller_can_stop_the_run(app, client, member, llm):
    app_id, marker = chat_app(client, member)
    publish(client, member, app_id)
    llm.script_chat(marker, ChatReply(text="slow answer", delay=5))
    chat = service(app, ChatService)
    with app.test_request_context():
        end_user = service(app, EndUserService).create(uuid.UUID(app_id))
        caller = ChatCaller(end_user_id=end_user.id)
        stream = chat.stream(ChatRequest(uuid.UUID(app_id), InvokeFrom.WECHAT, caller, "hello"))
        events = iter(stream.events)
        assert next(events).event.value == "ping"
        assert stream.end_user_id == end_user.id

        assert not chat.stop(stream.task_id, ChatCaller(end_user_id=uuid.uuid4()))
        assert not chat.stop(stream.task_id, ChatCaller(account_id=member.id))
        assert chat.stop(stream.task_id, caller)
        assert [event.event.value for event in events] == ["stop"]
