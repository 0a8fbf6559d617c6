"""Real audio made on the spot with PyAV: a sine tone in each container browsers and WeChat
record, so tests never download or check in a recording."""

import io
from dataclasses import dataclass

import av
import numpy as np


@dataclass(frozen=True)
class Container:
    name: str
    muxer: str
    codec: str
    rate: int


CONTAINERS = {
    "webm": Container("webm", "webm", "libopus", 48000),
    "ogg": Container("ogg", "ogg", "libopus", 48000),
    "wav": Container("wav", "wav", "pcm_s16le", 16000),
    "mp3": Container("mp3", "mp3", "libmp3lame", 24000),
    "m4a": Container("m4a", "ipod", "aac", 44100),
    "amr": Container("amr", "amr", "libopencore_amrnb", 8000),
}


def can_encode(container: str) -> bool:
    """Whether this PyAV build has the encoder (AMR needs opencore-amr)."""
    try:
        av.codec.Codec(CONTAINERS[container].codec, "w")
    except Exception:
        return False
    return True


def tone(container: str, frequency: float = 440.0, seconds: float = 0.5) -> bytes:
    """A mono sine tone as a complete file of `container` ("webm", "ogg", "wav", "mp3", "m4a", "amr")."""
    spec = CONTAINERS[container]
    t = np.arange(int(spec.rate * seconds)) / spec.rate
    samples = (np.sin(2 * np.pi * frequency * t) * 0.3 * 32767).astype(np.int16).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
    frame.sample_rate = spec.rate
    output = io.BytesIO()
    with av.open(output, "w", format=spec.muxer) as out:
        stream = out.add_stream(spec.codec, rate=spec.rate, layout="mono")
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return output.getvalue()


def decoded_seconds(data: bytes) -> float:
    """How long the audio of a file is, by decoding all of it."""
    samples, rate = 0, 1
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            samples, rate = samples + frame.samples, frame.sample_rate
    return samples / rate
