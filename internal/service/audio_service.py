"""Speech to text and back (llmops-api.md §16): a recording checked and converted for the
configured backend, and a message's answer read aloud sentence by sentence."""

import base64
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from injector import inject

from internal.core.app_config.defaults import default_app_config
from internal.core.speech import Recording, SpeechFailed, SpeechToText, SpeechUnavailable, TextToSpeech
from internal.core.speech.audio_codec import MP3, InvalidAudio, inspect_audio, transcode_to_mp3
from internal.core.speech.sentences import split_sentences
from internal.exception import FailException, ValidateErrorException
from internal.model.app import AppConfigKind
from internal.schema.audio import MAX_AUDIO_SIZE
from internal.model.conversation import InvokeFrom

from .app_config_service import AppConfigService
from .base_service import BaseService
from .conversation_service import ConversationService

logger = logging.getLogger(__name__)

TTS_DISABLED = "该应用未开启文字转语音功能"
APP_NOT_PUBLISHED = "该应用未发布，无法朗读该消息"
# Raw bytes per `tts_message`: 768 bytes are 1024 base64 characters (the document's limit).
TTS_CHUNK_BYTES = 768


@dataclass(frozen=True)
class SpeechChunk:
    """A piece of the answer's MP3 (base64), the empty `end` piece, or the `error` that ends early."""

    conversation_id: uuid.UUID
    message_id: uuid.UUID
    audio: str = ""
    end: bool = False
    error: str | None = None


@inject
@dataclass
class AudioService(BaseService):
    speech_to_text: SpeechToText
    text_to_speech: TextToSpeech
    conversation_service: ConversationService
    app_config_service: AppConfigService

    def audio_to_text(self, data: bytes) -> str:
        _ensure(self.speech_to_text)
        # Decoding and the provider call are slow: no transaction (the caller's account) stays open.
        self.db.session.commit()
        try:
            audio_format = inspect_audio(data)
            if not audio_format.provider_reads:
                data, audio_format = transcode_to_mp3(data, audio_format), MP3
                if len(data) > MAX_AUDIO_SIZE:
                    raise InvalidAudio("录音过长，无法识别")
        except InvalidAudio as exc:
            raise ValidateErrorException(f"file: {exc}") from None
        recording = Recording(data, f"audio{audio_format.extension}", audio_format.mime_type)
        try:
            return self.speech_to_text.transcribe(recording)
        except SpeechFailed as exc:
            logger.warning("Transcription failed: %s", exc)
            raise FailException(f"语音转文本失败：{exc}") from None

    def message_to_audio(self, account_id: uuid.UUID, message_id: uuid.UUID) -> Iterator[SpeechChunk]:
        """Refuses at once what cannot be read (not configured, not the caller's, speech off);
        the returned iterator then synthesises the answer one sentence after another."""
        _ensure(self.text_to_speech)
        message = self.conversation_service.get_own_message(account_id, message_id)
        settings = default_app_config()["text_to_speech"]
        if message.app_id is None:
            # The home-page assistant has no app configuration: its answers are read with the default voice.
            settings = settings | {"enable": True}
        else:
            # The debugger speaks with the draft's voice; the other channels with the published one.
            kind = AppConfigKind.DRAFT if message.invoke_from == InvokeFrom.DEBUGGER else AppConfigKind.PUBLISHED
            config = self.app_config_service.get_config(message.app_id, kind)
            if config is None:
                raise FailException(APP_NOT_PUBLISHED)
            settings = settings | (config.text_to_speech or {})
        if not settings["enable"]:
            raise FailException(TTS_DISABLED)
        conversation_id, answer = message.conversation_id, message.answer
        # Nothing may stay open on the request's connection while the audio streams.
        self.db.session.commit()
        return self._speak(conversation_id, message_id, answer, settings["voice"])

    def _speak(self, conversation_id: uuid.UUID, message_id: uuid.UUID, text: str, voice: str) -> Iterator[SpeechChunk]:
        for sentence in split_sentences(text):
            try:
                for audio in self.text_to_speech.synthesize(sentence, voice):
                    for start in range(0, len(audio), TTS_CHUNK_BYTES):
                        piece = base64.b64encode(audio[start : start + TTS_CHUNK_BYTES]).decode()
                        yield SpeechChunk(conversation_id, message_id, piece)
            except (SpeechFailed, SpeechUnavailable) as exc:
                logger.warning("Speech of message %s failed: %s", message_id, exc)
                yield SpeechChunk(conversation_id, message_id, error=f"文字转语音失败：{exc}")
                return
        yield SpeechChunk(conversation_id, message_id, end=True)


def _ensure(backend: SpeechToText | TextToSpeech) -> None:
    try:
        backend.ensure_available()
    except SpeechUnavailable as exc:
        raise FailException(str(exc)) from None
