"""Requests and responses of speech to text and back (llmops-api.md §16)."""

import uuid

from pydantic import BaseModel

from .common import RequestModel

# The most bytes of one recording (OpenAI's transcription limit).
MAX_AUDIO_SIZE = 25 * 1024 * 1024


class AudioToTextResp(BaseModel):
    text: str


class MessageToAudioReq(RequestModel):
    message_id: uuid.UUID


class TtsEventData(BaseModel):
    """The data of `tts_message` (a base64 piece of the MP3) and of the final `tts_end` (`audio: ""`)."""

    conversation_id: uuid.UUID
    message_id: uuid.UUID
    audio: str
