"""Speech to text and back (llmops-api.md §16): a recording becomes text, a message's answer a
stream of MP3 pieces."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from injector import inject
from werkzeug.datastructures import FileStorage

from internal.middleware import current_account
from internal.schema.ai import StreamErrorData
from internal.schema.audio import MAX_AUDIO_SIZE, AudioToTextResp, MessageToAudioReq, TtsEventData
from internal.service.audio_service import AudioService, SpeechChunk
from pkg.response import sse_response, success_json

from .endpoint import FilePart, endpoint

_TAGS = ("audio",)
RECORDING = FilePart("file", max_size=MAX_AUDIO_SIZE)


def speech_frames(chunks: Iterable[SpeechChunk]) -> Iterator[tuple[str, str]]:
    for chunk in chunks:
        if chunk.error is not None:
            yield "error", StreamErrorData(message=chunk.error).model_dump_json()
            continue
        data = TtsEventData(conversation_id=chunk.conversation_id, message_id=chunk.message_id, audio=chunk.audio)
        yield ("tts_end" if chunk.end else "tts_message"), data.model_dump_json()


@inject
@dataclass
class AudioHandler:
    audio_service: AudioService

    @endpoint(file=RECORDING, resp=AudioToTextResp, tags=_TAGS)
    def audio_to_text(self, file: FileStorage):
        """The text of a recording (webm/opus, ogg, wav, mp3, m4a or amr; at most 25 MB)."""
        return success_json({"text": self.audio_service.audio_to_text(file.read())})

    # A plain generator, not the run stream: §16.2 has no task id or stop endpoint (the client
    # aborts, which ends the generator and so the synthesis), and each sentence's audio starts
    # arriving within one provider round trip, so there is no silence to fill with pings.
    @endpoint(body=MessageToAudioReq, raw_response="text/event-stream", tags=_TAGS)
    def message_to_audio(self, body: MessageToAudioReq):
        """Read one of your debug or web app messages aloud: `tts_message` events with base64 MP3
        pieces (sentence after sentence, in order), then `tts_end` with `audio: ""`; an `error`
        event ends the stream early if the speech service fails."""
        return sse_response(speech_frames(self.audio_service.message_to_audio(current_account().id, body.message_id)))
