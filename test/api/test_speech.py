"""Speech to text and back (llmops-api.md §16): recordings of every accepted format transcribed
through the fake OpenAI audio API, and messages read aloud as a stream of MP3 pieces."""

import base64
import io
import os
import uuid

import pytest

from config.settings import ProviderSettings
from internal.core.app_config import default_app_config
from internal.server import create_app
from test.api.apps import assert_updated, publish, update_draft, web_app
from test.api.assertions import assert_fail, assert_not_found, assert_validate_error, success_data
from test.api.chat import chat_app, debug_chat, read_events
from test.conftest import _common_overrides, create_member, make_settings
from test.fakes.audio_clips import can_encode, decoded_seconds, tone
from test.fakes.openai_server import error_reply

MAX_AUDIO_SIZE = 25 * 1024 * 1024
TTS_ON = {"enable": True, "voice": "nova", "auto_play": False}


def transcribe(client, member, data: bytes, filename: str = "recording", **kwargs):
    return client.post(
        "/audio/audio-to-text",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        headers=member.headers,
        **kwargs,
    )


def speak(client, member, message_id, **kwargs):
    return client.post("/audio/message-to-audio", json={"message_id": str(message_id)}, headers=member.headers, **kwargs)


# --- 16.1 audio to text -------------------------------------------------------------------------


@pytest.mark.parametrize("container", ["webm", "ogg", "wav", "mp3", "m4a"])
def test_a_recording_the_provider_reads_is_sent_as_it_is(client, member, llm, container):
    recording = tone(container)
    llm.script_transcription(f"慕课网，程序员的梦工厂（{container}）")

    text = success_data(transcribe(client, member, recording, filename="blob"))["text"]

    assert text == f"慕课网，程序员的梦工厂（{container}）"
    sent = llm.transcriptions()[-1]
    # The product names the format by its sniffed content, not by the client's file name.
    assert sent.filename == f"audio.{container}" and sent.data == recording
    assert sent.fields["model"] == "whisper-1"


def test_an_amr_recording_from_wechat_is_converted_to_mp3_first(client, member, llm):
    if not can_encode("amr"):
        pytest.skip("this PyAV build has no AMR encoder to make a recording with")
    recording = tone("amr", seconds=1.0)
    llm.script_transcription("微信语音")

    assert success_data(transcribe(client, member, recording, filename="voice.amr"))["text"] == "微信语音"

    sent = llm.transcriptions()[-1]
    assert sent.filename == "audio.mp3" and sent.content_type == "audio/mpeg"
    assert sent.data.startswith((b"ID3", b"\xff")) and 0.9 <= decoded_seconds(sent.data) <= 1.2


@pytest.mark.parametrize(
    "data",
    [
        os.urandom(4096),
        "这不是音频文件".encode() * 100,
        b"RIFF\x00\x00\x00\x00WAVE" + os.urandom(2000),
        tone("webm")[:60],
        b"\x00\x00\x00\x1cftypM4A " + os.urandom(2000),
    ],
    ids=["random", "text", "bad-wav", "truncated-webm", "bad-m4a"],
)
def test_what_is_not_audio_of_an_accepted_format_is_a_validate_error(client, member, llm, data):
    before = len(llm.transcriptions())
    assert_validate_error(transcribe(client, member, data, filename="a.mp3"), "file")
    assert len(llm.transcriptions()) == before


def test_the_file_part_is_required_and_at_most_25_mb(client, member):
    assert_validate_error(client.post("/audio/audio-to-text", headers=member.headers, data={}), "file", status=415)
    resp = client.post(
        "/audio/audio-to-text", data={"other": "x"}, content_type="multipart/form-data", headers=member.headers
    )
    assert_validate_error(resp, "file")
    too_big = tone("wav") + b"\x00" * (MAX_AUDIO_SIZE - len(tone("wav")) + 1)
    assert_validate_error(transcribe(client, member, too_big), "file", status=413)


def test_a_recording_of_exactly_25_mb_is_accepted(client, member, llm):
    # A WAV's padding past its data chunk is ignored by decoders, so the file stays valid.
    recording = tone("wav")
    padded = recording + b"\x00" * (MAX_AUDIO_SIZE - len(recording))
    llm.script_transcription("正好25MB")
    assert success_data(transcribe(client, member, padded))["text"] == "正好25MB"


def test_a_provider_error_is_a_fail(client, member, llm):
    llm.fail_next("POST /v1/audio/transcriptions", 500, "whisper is down")
    resp = transcribe(client, member, tone("webm"))
    assert_fail(resp)
    assert "whisper is down" in resp.json["message"]


def test_audio_routes_need_a_signed_in_account(client):
    assert client.post("/audio/audio-to-text").status_code == 401
    assert client.post("/audio/message-to-audio", json={"message_id": str(uuid.uuid4())}).status_code == 401


@pytest.fixture(scope="module")
def unconfigured_app(tmp_path_factory, fake_github, fake_llm):
    """A server with no OpenAI key: neither speech direction has a provider."""
    overrides = _common_overrides(fake_github, fake_llm)
    overrides["providers"] = ProviderSettings(_env_file=None)
    return create_app(make_settings(tmp_path_factory.mktemp("no-speech"), **overrides))


def test_with_no_provider_configured_both_endpoints_fail_naming_the_setting(unconfigured_app):
    client = unconfigured_app.test_client()
    member = create_member(unconfigured_app, client)

    resp = transcribe(client, member, tone("webm"))
    assert_fail(resp)
    assert "OPENAI_API_KEY" in resp.json["message"]

    resp = speak(client, member, uuid.uuid4())
    assert_fail(resp)
    assert "OPENAI_API_KEY" in resp.json["message"]


# --- 16.2 message to audio ----------------------------------------------------------------------


def spoken_message(client, member, llm, answer: str, **config) -> tuple[str, str, str]:
    """A debug message whose answer is `answer`: (app id, conversation id, message id)."""
    app_id, marker = chat_app(client, member, text_to_speech=config.pop("text_to_speech", TTS_ON), **config)
    llm.script_chat(marker, answer)
    events = debug_chat(client, member, app_id, "介绍一下你自己")
    assert events[-1]["event"] == "agent_end", events
    return app_id, events[0]["data"]["conversation_id"], events[0]["data"]["message_id"]


def audio_of(events: list[dict]) -> bytes:
    return b"".join(base64.b64decode(e["data"]["audio"]) for e in events if e["event"] == "tts_message")


def test_the_answer_is_read_sentence_by_sentence_in_order(client, member, llm):
    sentences = ["你好，我是你的旅行助手。", "我可以帮你规划每天的行程！", "Where would you like to go?"]
    _, conversation_id, message_id = spoken_message(client, member, llm, "".join(sentences))
    before = len(llm.speech_requests())

    events = read_events(speak(client, member, message_id))

    assert [e["event"] for e in events[:-1]] == ["tts_message"] * (len(events) - 1)
    assert events[-1] == {
        "event": "tts_end",
        "data": {"conversation_id": conversation_id, "message_id": message_id, "audio": ""},
    }
    assert all(e["data"]["conversation_id"] == conversation_id and e["data"]["message_id"] == message_id for e in events)
    assert all(0 < len(e["data"]["audio"]) <= 1024 for e in events[:-1])
    requests = llm.speech_requests()[before:]
    assert [r["input"] for r in requests] == sentences
    assert all(r["voice"] == "nova" and r["model"] == "tts-1" and r["response_format"] == "mp3" for r in requests)
    # The pieces are the provider's MP3s, back to back.
    assert audio_of(events) == b"".join(llm.speech_audio(sentence) for sentence in sentences)


def test_the_first_piece_goes_out_before_later_sentences_are_synthesised(client, member, llm):
    _, _, message_id = spoken_message(client, member, llm, "第一句话在这里。第二句话在这里。第三句话在这里。")
    before = len(llm.speech_requests())

    resp = speak(client, member, message_id, buffered=False)
    first = next(iter(resp.response))

    assert (first.decode() if isinstance(first, bytes) else first).startswith("event: tts_message")
    assert [r["input"] for r in llm.speech_requests()[before:]] == ["第一句话在这里。"]
    resp.close()


def test_the_debugger_reads_with_the_draft_voice_and_the_web_app_with_the_published_one(client, member, llm):
    app_id, marker = chat_app(client, member, text_to_speech={"enable": True, "voice": "alloy", "auto_play": True})
    publish(client, member, app_id)
    token = web_app(client, member, app_id)["token"]
    assert_updated(update_draft(client, member, app_id, {"text_to_speech": {**TTS_ON, "voice": "onyx"}}))

    llm.script_chat(marker, "这是网页应用里的回答。")
    events = read_events(client.post(f"/web-apps/{token}/chat", json={"query": "你好"}, headers=member.headers))
    web_message_id = events[0]["data"]["message_id"]
    llm.script_chat(marker, "这是调试时的回答。")
    debug_message_id = debug_chat(client, member, app_id, "你好")[0]["data"]["message_id"]

    read_events(speak(client, member, web_message_id))
    assert llm.speech_requests()[-1]["voice"] == "alloy"
    read_events(speak(client, member, debug_message_id))
    assert llm.speech_requests()[-1]["voice"] == "onyx"


def test_only_the_callers_own_existing_messages_are_read(client, member, other_member, llm):
    _, conversation_id, message_id = spoken_message(client, member, llm, "只有我能听到这条消息。")

    assert_not_found(speak(client, other_member, message_id))
    assert_not_found(speak(client, member, uuid.uuid4()))
    resp = client.post(f"/conversations/{conversation_id}/messages/{message_id}/delete", headers=member.headers)
    success_data(resp)
    assert_not_found(speak(client, member, message_id))


@pytest.mark.parametrize("body", [{}, {"message_id": "not-a-uuid"}, {"message_id": 12}])
def test_the_message_id_must_be_a_uuid(client, member, body):
    resp = client.post("/audio/message-to-audio", json=body, headers=member.headers)
    assert_validate_error(resp, "message_id")


def test_an_app_with_text_to_speech_off_refuses(client, member, llm):
    _, _, message_id = spoken_message(
        client, member, llm, "这个应用没有开启语音。", text_to_speech={"enable": False, "voice": "echo", "auto_play": False}
    )
    before = len(llm.speech_requests())
    resp = speak(client, member, message_id)
    assert_fail(resp)
    assert len(llm.speech_requests()) == before


def test_a_provider_error_ends_the_stream_with_an_error_event(client, member, llm):
    _, _, message_id = spoken_message(client, member, llm, "第一句会失败的。第二句不会再请求。")
    before = len(llm.speech_requests())
    llm.reply_next("POST /v1/audio/speech", error_reply(500, "tts is down"))

    events = read_events(speak(client, member, message_id))

    assert [e["event"] for e in events] == ["error"]
    assert "tts is down" in events[0]["data"]["message"]
    assert len(llm.speech_requests()) == before + 1


def test_a_web_app_message_of_an_app_no_longer_published_is_not_read(client, member, llm):
    app_id, marker = chat_app(client, member, text_to_speech=TTS_ON)
    publish(client, member, app_id)
    token = web_app(client, member, app_id)["token"]
    llm.script_chat(marker, "发布时的回答在这里。")
    events = read_events(client.post(f"/web-apps/{token}/chat", json={"query": "你好"}, headers=member.headers))
    success_data(client.post(f"/apps/{app_id}/cancel-publish", headers=member.headers))

    resp = speak(client, member, events[0]["data"]["message_id"])
    assert_fail(resp)
    assert "未发布" in resp.json["message"]


def test_the_assistants_answers_are_read_with_the_default_voice_to_their_owner_only(client, member, other_member, llm):
    tag = f"marker-{uuid.uuid4().hex[:12]}"
    llm.script_chat(tag, "我是平台助手。我能帮你创建应用。")
    events = read_events(client.post("/assistant-agent/chat", json={"query": f"你是谁？{tag}"}, headers=member.headers))
    message_id = events[0]["data"]["message_id"]
    before = len(llm.speech_requests())

    spoken = read_events(speak(client, member, message_id))

    assert spoken[-1]["event"] == "tts_end" and audio_of(spoken)
    requests = llm.speech_requests()[before:]
    assert [r["input"] for r in requests] == ["我是平台助手。", "我能帮你创建应用。"]
    assert {r["voice"] for r in requests} == {default_app_config()["text_to_speech"]["voice"]}
    assert_not_found(speak(client, other_member, message_id))
