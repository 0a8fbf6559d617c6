"""The two speech ports: a recording to text, and text to audio bytes as they are produced."""

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass


class SpeechUnavailable(Exception):
    """Speech is not configured on this server; the message names the setting to set."""


class SpeechFailed(Exception):
    """The backend failed (provider error, timeout); the message can be shown to the caller."""


@dataclass(frozen=True)
class Recording:
    """Audio in a format the backend reads; `filename`'s extension tells the format."""

    data: bytes
    filename: str
    mime_type: str


class SpeechToText(ABC):
    def ensure_available(self) -> None:
        """Raises `SpeechUnavailable` when this backend cannot be used at all."""

    @abstractmethod
    def transcribe(self, recording: Recording) -> str: ...


class TextToSpeech(ABC):
    def ensure_available(self) -> None:
        """Raises `SpeechUnavailable` when this backend cannot be used at all."""

    @abstractmethod
    def synthesize(self, text: str, voice: str) -> Iterator[bytes]:
        """MP3 audio of `text`, yielded as its bytes arrive; `SpeechFailed` on failure."""


class UnconfiguredSpeechToText(SpeechToText):
    def __init__(self, reason: str):
        self.reason = reason

    def ensure_available(self) -> None:
        raise SpeechUnavailable(self.reason)

    def transcribe(self, recording: Recording) -> str:
        raise SpeechUnavailable(self.reason)


class UnconfiguredTextToSpeech(TextToSpeech):
    def __init__(self, reason: str):
        self.reason = reason

    def ensure_available(self) -> None:
        raise SpeechUnavailable(self.reason)

    def synthesize(self, text: str, voice: str) -> Iterator[bytes]:
        raise SpeechUnavailable(self.reason)
