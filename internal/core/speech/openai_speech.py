"""Any OpenAI-compatible audio API: `POST {base}/audio/transcriptions` (multipart) and
`POST {base}/audio/speech` (JSON in, audio bytes streamed out). The base URL is the operator's
configured provider, not a user's, so requests go out directly (no outbound guard) with timeouts."""

from collections.abc import Iterator

import httpx

from .base import Recording, SpeechFailed, SpeechToText, TextToSpeech

DEFAULT_API_BASE = "https://api.openai.com/v1"
# Bytes read from a streamed synthesis at a time: small, so the first audio goes out early.
STREAM_CHUNK_BYTES = 4096


class _OpenAIAudioClient:
    def __init__(self, api_base: str, api_key: str, model: str, timeout: float):
        self.api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self.model = model
        self.client = httpx.Client(
            headers={"Authorization": f"Bearer {api_key}"}, timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0))
        )


def _provider_error(response: httpx.Response) -> SpeechFailed:
    """The provider's own error message (OpenAI's `{"error": {"message"}}`), else its status."""
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = f"HTTP {response.status_code}"
    return SpeechFailed(f"语音服务返回错误：{message}")


class OpenAISpeechToText(_OpenAIAudioClient, SpeechToText):
    def transcribe(self, recording: Recording) -> str:
        try:
            response = self.client.post(
                f"{self.api_base}/audio/transcriptions",
                data={"model": self.model, "response_format": "json"},
                files={"file": (recording.filename, recording.data, recording.mime_type)},
            )
        except httpx.HTTPError as exc:
            raise SpeechFailed(f"语音服务请求失败：{type(exc).__name__}") from None
        if response.status_code != 200:
            raise _provider_error(response)
        try:
            text = response.json()["text"]
        except (ValueError, KeyError, TypeError):
            text = None
        if not isinstance(text, str):
            raise SpeechFailed("语音服务返回了无法识别的结果")
        return text.strip()


class OpenAITextToSpeech(_OpenAIAudioClient, TextToSpeech):
    def synthesize(self, text: str, voice: str) -> Iterator[bytes]:
        body = {"model": self.model, "input": text, "voice": voice, "response_format": "mp3"}
        try:
            with self.client.stream("POST", f"{self.api_base}/audio/speech", json=body) as response:
                if response.status_code != 200:
                    response.read()
                    raise _provider_error(response)
                yield from response.iter_bytes(STREAM_CHUNK_BYTES)
        except httpx.HTTPError as exc:
            raise SpeechFailed(f"语音服务请求失败：{type(exc).__name__}") from None
