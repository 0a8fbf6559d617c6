"""Speech to text and text to speech (llmops-api.md §16): the two ports, one module per backend,
and the factories that pick a backend from the settings (nothing usable: a backend that refuses,
naming the setting to set)."""

from config import Settings
from config.settings import SpeechToTextProvider, TextToSpeechProvider

from .base import (
    Recording,
    SpeechFailed,
    SpeechToText,
    SpeechUnavailable,
    TextToSpeech,
    UnconfiguredSpeechToText,
    UnconfiguredTextToSpeech,
)


def _api_credentials(settings: Settings) -> tuple[str, str]:
    speech, providers = settings.speech, settings.providers
    return speech.speech_api_base or providers.openai_api_base, speech.speech_api_key or providers.openai_api_key


def create_speech_to_text(settings: Settings) -> SpeechToText:
    speech = settings.speech
    if speech.speech_to_text_provider is SpeechToTextProvider.NONE:
        return UnconfiguredSpeechToText("语音转文本未开启：请设置SPEECH_TO_TEXT_PROVIDER")
    api_base, api_key = _api_credentials(settings)
    if not api_key:
        return UnconfiguredSpeechToText("语音转文本未配置：请设置SPEECH_API_KEY或OPENAI_API_KEY")
    from .openai_speech import OpenAISpeechToText

    return OpenAISpeechToText(api_base, api_key, speech.speech_to_text_model, speech.speech_timeout)


def create_text_to_speech(settings: Settings) -> TextToSpeech:
    speech = settings.speech
    provider = speech.text_to_speech_provider
    if provider is TextToSpeechProvider.NONE:
        return UnconfiguredTextToSpeech("文字转语音未开启：请设置TEXT_TO_SPEECH_PROVIDER")
    if provider is TextToSpeechProvider.ESPEAK:
        from .espeak_speech import EspeakTextToSpeech

        return EspeakTextToSpeech(speech.espeak_binary, speech.speech_timeout)
    api_base, api_key = _api_credentials(settings)
    if not api_key:
        return UnconfiguredTextToSpeech("文字转语音未配置：请设置SPEECH_API_KEY或OPENAI_API_KEY")
    from .openai_speech import OpenAITextToSpeech

    return OpenAITextToSpeech(api_base, api_key, speech.text_to_speech_model, speech.speech_timeout)


__all__ = [
    "Recording",
    "SpeechFailed",
    "SpeechToText",
    "SpeechUnavailable",
    "TextToSpeech",
    "create_speech_to_text",
    "create_text_to_speech",
]
