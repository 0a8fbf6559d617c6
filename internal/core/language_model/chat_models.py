"""LangChain chat model classes for the API protocols providers speak."""

from langchain_openai import ChatOpenAI

from .entities import ApiProtocol


class OpenAICompatibleChat(ChatOpenAI):
    """ChatOpenAI for servers that predate OpenAI renaming `max_tokens` to `max_completion_tokens`."""

    def _get_request_payload(self, input_, *, stop=None, **kwargs) -> dict:
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        if "max_completion_tokens" in payload:
            payload["max_tokens"] = payload.pop("max_completion_tokens")
        return payload


CHAT_MODEL_CLASSES: dict[ApiProtocol, type[ChatOpenAI]] = {
    ApiProtocol.OPENAI: ChatOpenAI,
    ApiProtocol.OPENAI_COMPATIBLE: OpenAICompatibleChat,
}
