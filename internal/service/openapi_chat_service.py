"""The open API chat (llmops-api.md §9.6): an API key's owner's published app answers an end
user, streaming or blocking; a thin adapter over the chat service."""

import uuid
from dataclasses import dataclass

from injector import inject

from internal.exception import NotFoundException
from internal.schema.agent_chat import OpenApiChatReq

from .app_base_service import APP_NOT_FOUND, AppBaseService
from .chat_service import AgentStream, ChatCaller, ChatRequest, ChatResult, ChatService, InvokeFrom
from .end_user_service import EndUserService
from .open_api_limit_service import OpenApiLimitService


@inject
@dataclass
class OpenApiChatService(AppBaseService):
    chat_service: ChatService
    end_user_service: EndUserService
    limit_service: OpenApiLimitService

    def stream(self, account_id: uuid.UUID, req: OpenApiChatReq) -> AgentStream:
        return self.chat_service.stream(self._chat_request(account_id, req))

    def blocking(self, account_id: uuid.UUID, req: OpenApiChatReq) -> ChatResult:
        return self.chat_service.blocking(self._chat_request(account_id, req))

    def _chat_request(self, account_id: uuid.UUID, req: OpenApiChatReq) -> ChatRequest:
        """Only the key owner's apps (another's looks missing); the named end user must be the
        app's, else a new one is created with the turn (nothing is kept if the turn is refused).

        An end user carries its app owner's account, so a named one answers for the app's
        ownership too: a turn's hot path saves loading the app.
        """
        if req.end_user_id is not None:
            end_user = self.end_user_service.get(req.app_id, req.end_user_id)
            if end_user.account_id != account_id:
                raise NotFoundException(APP_NOT_FOUND)
        else:
            # Held while the end user is made: the session keeps loaded rows only while they are
            # referenced, and creating it finds the app there instead of loading it again.
            app = self.get_app(account_id, req.app_id)
            end_user = self.end_user_service.create(app.id)
        return ChatRequest(
            run_slot=self.limit_service.acquire_run_slot(req.app_id),
            app_id=req.app_id,
            invoke_from=InvokeFrom.SERVICE_API,
            caller=ChatCaller(end_user_id=end_user.id),
            query=req.query,
            conversation_id=req.conversation_id,
            image_urls=list(req.image_urls),
        )
