"""The speech backends and helpers behind §16: sentence splitting, the factories' choices, the
OpenAI-compatible backends against the fake, and espeak-ng where it is installed."""

import shutil

import pytest

from config.settings import ProviderSettings, SpeechSettings, SpeechToTextProvider, TextToSpeechProvider
from internal.core.speech import (
    Recording,
    SpeechFailed,
    SpeechUnavailable,
    create_speech_to_text,
    create_text_to_speech,
)
from internal.core.speech.audio_codec import AMR, MP3, WEBM, inspect_audio, transcode_to_mp3
from internal.core.speech.espeak_speech import EspeakTextToSpeech
from internal.core.speech.openai_speech import OpenAISpeechToText, OpenAITextToSpeech
from internal.core.speech.sentences import MAX_SENTENCE_CHARS, split_sentences
from test.conftest import make_settings
from test.fakes.audio_clips import can_encode, decoded_seconds, tone
from test.fakes.http_server import Reply
from test.fakes.openai_server import FakeOpenAI


@pytest.fixture(scope="module")
def fake_openai():
    server = FakeOpenAI(api_key="sk-speech").start()
    yield server
    server.stop()


# --- sentences ----------------------------------------------------------------------------------


def test_sentences_split_at_cjk_and_latin_ends_but_not_inside_numbers():
    assert split_sentences("你好，今天天气很好。我们去公园吧？好的！") == ["你好，今天天气很好。", "我们去公园吧？好的！"]
    assert split_sentences("Pi is about 3.14 today. See you soon!") == ["Pi is about 3.14 today.", "See you soon!"]


def test_short_pieces_join_their_neighbour_and_markdown_is_not_read():
    assert split_sentences("OK. Let us begin now.") == ["OK. Let us begin now."]
    markdown = "## Travel plan\n- **Day one**: the museum\n> a quote here\n| a | table |\n```py\nprint(1)\n```"
    assert split_sentences(markdown) == ["Travel plan", "Day one: the museum", "a quote here", "a table", "print(1)"]
    assert split_sentences("  \n ") == [] and split_sentences("[docs](https://x.y) here") == ["docs here"]


def test_a_sentence_longer_than_the_provider_takes_is_cut():
    pieces = split_sentences("字" * (MAX_SENTENCE_CHARS + 10) + "。")
    assert [len(p) for p in pieces] == [MAX_SENTENCE_CHARS, 11]


# --- audio formats ------------------------------------------------------------------------------


def test_the_format_comes_from_the_content_and_amr_converts_to_mp3():
    assert inspect_audio(tone("webm")) is WEBM
    if not can_encode("amr"):
        pytest.skip("this PyAV build has no AMR encoder")
    recording = tone("amr", seconds=2.0)
    assert inspect_audio(recording) is AMR
    mp3 = transcode_to_mp3(recording, AMR)
    assert inspect_audio(mp3) is MP3 and 1.9 <= decoded_seconds(mp3) <= 2.2


# --- factories ----------------------------------------------------------------------------------


def settings_with(tmp_path, speech: SpeechSettings, **providers):
    return make_settings(tmp_path, speech=speech, providers=ProviderSettings(_env_file=None, **providers))


def test_provider_none_refuses_naming_its_setting(tmp_path):
    settings = settings_with(
        tmp_path,
        SpeechSettings(
            _env_file=None,
            speech_to_text_provider=SpeechToTextProvider.NONE,
            text_to_speech_provider=TextToSpeechProvider.NONE,
        ),
        openai_api_key="sk-x",
    )
    with pytest.raises(SpeechUnavailable, match="SPEECH_TO_TEXT_PROVIDER"):
        create_speech_to_text(settings).ensure_available()
    with pytest.raises(SpeechUnavailable, match="TEXT_TO_SPEECH_PROVIDER"):
        create_text_to_speech(settings).ensure_available()


def test_the_speech_key_and_base_override_the_openai_provider(tmp_path, fake_openai):
    speech = SpeechSettings(_env_file=None, speech_api_base=fake_openai.api_base, speech_api_key=fake_openai.api_key)
    settings = settings_with(tmp_path, speech, openai_api_key="sk-wrong", openai_api_base="http://127.0.0.1:9/v1")
    fake_openai.script_transcription("override works")
    recording = Recording(tone("wav"), "audio.wav", "audio/wav")
    assert create_speech_to_text(settings).transcribe(recording) == "override works"
    assert b"".join(create_text_to_speech(settings).synthesize("你好世界。", "echo")) == fake_openai.speech_audio("你好世界。")


def test_without_any_key_the_openai_backends_refuse_naming_the_keys(tmp_path):
    settings = settings_with(tmp_path, SpeechSettings(_env_file=None))
    for backend in (create_speech_to_text(settings), create_text_to_speech(settings)):
        with pytest.raises(SpeechUnavailable, match="SPEECH_API_KEY.*OPENAI_API_KEY"):
            backend.ensure_available()


# --- the OpenAI-compatible backends ---------------------------------------------------------------


def test_provider_errors_and_unreachable_providers_are_speech_failures(fake_openai):
    stt = OpenAISpeechToText(fake_openai.api_base, fake_openai.api_key, "whisper-1", timeout=5)
    tts = OpenAITextToSpeech(fake_openai.api_base, fake_openai.api_key, "tts-1", timeout=5)
    fake_openai.fail_next("POST /v1/audio/transcriptions", 429, "slow down")
    with pytest.raises(SpeechFailed, match="slow down"):
        stt.transcribe(Recording(tone("wav"), "audio.wav", "audio/wav"))
    fake_openai.reply_next("POST /v1/audio/transcriptions", Reply(200, {"unexpected": True}))
    with pytest.raises(SpeechFailed):
        stt.transcribe(Recording(tone("wav"), "audio.wav", "audio/wav"))
    with pytest.raises(SpeechFailed, match="voice"):
        list(tts.synthesize("hello there", "not-a-voice"))
    unreachable = OpenAITextToSpeech("http://127.0.0.1:9/v1", "sk", "tts-1", timeout=2)
    with pytest.raises(SpeechFailed, match="ConnectError"):
        list(unreachable.synthesize("hello there", "echo"))


# --- espeak-ng ----------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")
@pytest.mark.parametrize("text", ["Hello, this is an offline voice.", "你好，这是离线语音。", "-v should be read, not parsed"])
def test_espeak_speaks_mp3_offline(text):
    backend = EspeakTextToSpeech("espeak-ng", timeout=30)
    backend.ensure_available()
    audio = b"".join(backend.synthesize(text, "echo"))
    assert inspect_audio(audio) is MP3 and decoded_seconds(audio) > 0.5


def test_a_missing_espeak_binary_refuses_naming_the_settings():
    with pytest.raises(SpeechUnavailable, match="ESPEAK_BINARY"):
        EspeakTextToSpeech("espeak-ng-not-installed", timeout=1).ensure_available()
