"""The open API chat (llmops-api.md §9.6), authenticated by an API key: agent events as SSE with
`stream=true`, the stored message in the envelope with `stream=false`. Neither can be stopped."""

from dataclasses import dataclass

from injector import inject

from internal.middleware import AuthKind, current_account
from internal.schema.agent_chat import OpenApiChatReq, OpenApiChatResp
from internal.service.openapi_chat_service import OpenApiChatService
from pkg.response import sse_response, success_json

from .agent_events import agent_event_frames
from .endpoint import endpoint


@inject
@dataclass
class OpenApiChatHandler:
    openapi_chat_service: OpenApiChatService

    @endpoint(
        auth=AuthKind.API_KEY, body=OpenApiChatReq, resp=OpenApiChatResp, raw_response="text/event-stream", tags=("open API",)
    )
    def openapi_chat(self, body: OpenApiChatReq):
        """Chat with one of the key owner's published apps as an end user. `stream=true` answers
        text/event-stream: the debug chat's agent events, each also carrying `end_user_id`.
        Everything that can be refused is answered as an envelope before a stream opens."""
        account_id = current_account().id
        if body.stream:
            stream = self.openapi_chat_service.stream(account_id, body)
            return sse_response(agent_event_frames(stream.events, {"end_user_id": stream.end_user_id}))
        return success_json(OpenApiChatResp.render(self.openapi_chat_service.blocking(account_id, body)))
