"""Requests and responses of the OpenAI-compatible surface (`/v1/chat/completions`, `/v1/models`):
OpenAI's own shapes, with `conversation_id` and `end_user_id` as extra fields."""

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, StrictBool, field_validator

from .agent_chat import MAX_IMAGES
from .common import HttpUrlStr, RequestModel

# As the debug chat's question (agent_chat.Query).
MAX_QUERY_LENGTH = 10000
# Far more than any app's dialog_round uses; the history is cut to the app's rounds anyway.
MAX_MESSAGES = 200
MAX_CONTENT_LENGTH = 100000
MAX_PARTS = 50


def _empty_is_none(value: Any) -> Any:
    return None if value == "" else value


OptionalId = Annotated[uuid.UUID | None, BeforeValidator(_empty_is_none)]


class ImageUrl(RequestModel):
    url: HttpUrlStr


class TextPart(RequestModel):
    type: Literal["text"]
    text: Annotated[str, Field(max_length=MAX_CONTENT_LENGTH)]


class ImagePart(RequestModel):
    type: Literal["image_url"]
    image_url: ImageUrl


ContentPart = Annotated[TextPart | ImagePart, Field(discriminator="type")]


def _text_as_parts(value: Any) -> Any:
    """Content given as a plain string is one text part."""
    return [{"type": "text", "text": value}] if isinstance(value, str) else value


class ChatMessage(RequestModel):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Annotated[list[ContentPart] | None, BeforeValidator(_text_as_parts), Field(max_length=MAX_PARTS)] = None

    @property
    def text(self) -> str:
        return "".join(part.text for part in self.content or [] if isinstance(part, TextPart))

    @property
    def image_urls(self) -> list[str]:
        return [part.image_url.url for part in self.content or [] if isinstance(part, ImagePart)]


class StreamOptions(RequestModel):
    include_usage: StrictBool = False


class ChatCompletionReq(RequestModel):
    """`model` is the app's id. Sampling fields (temperature, max_tokens, ...) and tools are the
    app's configuration and are ignored here, as any unknown field is."""

    model: uuid.UUID
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: StrictBool = False
    stream_options: StreamOptions | None = None
    conversation_id: OptionalId = None
    end_user_id: OptionalId = None

    @field_validator("messages")
    @classmethod
    def _ends_with_a_question(cls, messages: list[ChatMessage]) -> list[ChatMessage]:
        last = messages[-1]
        if last.role != "user" or not last.text.strip():
            raise ValueError("最后一条消息必须是用户的提问")
        if len(last.text) > MAX_QUERY_LENGTH:
            raise ValueError(f"提问长度不能超过{MAX_QUERY_LENGTH}个字符")
        if len(last.image_urls) > MAX_IMAGES:
            raise ValueError(f"提问的图片最多只能有{MAX_IMAGES}张")
        return messages

    @property
    def query(self) -> str:
        return self.messages[-1].text

    @property
    def image_urls(self) -> list[str]:
        return self.messages[-1].image_urls

    def history(self) -> list[tuple[str, str]]:
        """The (question, answer) rounds before the last message: each user message with the
        assistant message that follows it; system and tool messages are left out (the app's
        preset prompt and tools rule)."""
        rounds: list[tuple[str, str]] = []
        question: str | None = None
        for message in self.messages[:-1]:
            if message.role == "user":
                question = message.text
            elif message.role == "assistant" and question is not None:
                rounds.append((question, message.text))
                question = None
        return rounds


class ModelResp(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str
    # Beyond OpenAI's fields: the app's name, for people choosing among ids.
    name: str


class ModelListResp(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelResp]


class OpenAIError(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIErrorResp(BaseModel):
    """The error body OpenAI's SDKs read: `/v1` answers errors in it rather than the envelope."""

    error: OpenAIError

