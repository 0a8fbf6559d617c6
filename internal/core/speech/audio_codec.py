"""Recorded audio as the API receives it: which container it is (by its leading bytes), whether
it really decodes (PyAV, i.e. FFmpeg's libraries), and MP3 for formats a provider does not read."""

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import av
import av.error


class InvalidAudio(ValueError):
    """The bytes are not audio in one of the accepted formats."""


@dataclass(frozen=True)
class AudioFormat:
    name: str
    # FFmpeg's demuxer, named explicitly: probing untrusted bytes could pick a playlist or
    # concat demuxer that opens other files or URLs.
    demuxer: str
    extension: str
    mime_type: str
    # OpenAI-compatible transcription endpoints read it as is (they take flac, mp3, mp4, m4a,
    # ogg, wav, webm); the others are converted to MP3 first.
    provider_reads: bool = True


WEBM = AudioFormat("webm", "matroska", ".webm", "audio/webm")
OGG = AudioFormat("ogg", "ogg", ".ogg", "audio/ogg")
WAV = AudioFormat("wav", "wav", ".wav", "audio/wav")
MP3 = AudioFormat("mp3", "mp3", ".mp3", "audio/mpeg")
M4A = AudioFormat("m4a", "mov", ".m4a", "audio/mp4")
AMR = AudioFormat("amr", "amr", ".amr", "audio/amr", provider_reads=False)
ACCEPTED_FORMATS = (WEBM, OGG, WAV, MP3, M4A, AMR)

# Frames decoded to tell real audio from a file that only starts like it.
_FRAMES_CHECKED = 8
SPEECH_BIT_RATE = 32_000
# Sample rates an MP3 (MPEG-1/2/2.5 layer III) can have; anything else is resampled to 16 kHz.
_MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)


def sniff(data: bytes) -> AudioFormat | None:
    """The accepted format whose signature `data` starts with, or None."""
    head = data[:16]
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return WAV
    if head[4:8] == b"ftyp":
        return M4A
    if head.startswith(b"#!AMR\n"):
        return AMR
    if head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return MP3
    return None


def inspect_audio(data: bytes) -> AudioFormat:
    """The format of a recording that decodes; `InvalidAudio` otherwise."""
    audio_format = sniff(data)
    if audio_format is None:
        raise InvalidAudio("不支持的音频格式，请上传webm、ogg、wav、mp3、m4a或amr格式的录音")
    frames = 0
    try:
        with av.open(io.BytesIO(data), format=audio_format.demuxer) as container:
            if not container.streams.audio:
                raise InvalidAudio("文件中没有音频")
            for _ in _decoded(container):
                frames += 1
                if frames >= _FRAMES_CHECKED:
                    break
    except av.error.FFmpegError:
        raise InvalidAudio("音频文件已损坏或无法解码") from None
    if frames == 0:
        raise InvalidAudio("音频文件已损坏或无法解码")
    return audio_format


def transcode_to_mp3(data: bytes, audio_format: AudioFormat) -> bytes:
    """The first audio stream of `data` as mono MP3 (to send a provider what it reads)."""
    try:
        with av.open(io.BytesIO(data), format=audio_format.demuxer) as container:
            return encode_mp3(_decoded(container), container.streams.audio[0].rate)
    except av.error.FFmpegError:
        raise InvalidAudio("音频文件已损坏或无法解码") from None


def encode_mp3(frames: Iterable[av.AudioFrame], sample_rate: int) -> bytes:
    """Decoded audio frames encoded as one mono MP3 file."""
    rate = sample_rate if sample_rate in _MP3_RATES else 16000
    output = io.BytesIO()
    with av.open(output, "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=rate, layout="mono")
        # Speech needs little: 32 kbit/s keeps an hour of it near 14 MB, under providers' 25 MB.
        stream.bit_rate = SPEECH_BIT_RATE
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=rate)
        for frame in frames:
            for resampled in resampler.resample(frame):
                container.mux(stream.encode(resampled))
        for resampled in resampler.resample(None):
            container.mux(stream.encode(resampled))
        container.mux(stream.encode(None))
    return output.getvalue()


def wav_to_mp3(data: bytes) -> bytes:
    try:
        with av.open(io.BytesIO(data), format="wav") as container:
            return encode_mp3(_decoded(container), container.streams.audio[0].rate)
    except (av.error.FFmpegError, IndexError):
        raise InvalidAudio("音频文件已损坏或无法解码") from None


def _decoded(container) -> Iterator[av.AudioFrame]:
    stream = container.streams.audio[0]
    for packet in container.demux(stream):
        yield from packet.decode()
