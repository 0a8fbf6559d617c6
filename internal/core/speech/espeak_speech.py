"""Offline text to speech with the espeak-ng program (Debian package `espeak-ng`): no network,
no model files, ~100 languages, but a robotic formant voice; Mandarin is understandable at
best. The app's OpenAI voice name has no espeak equivalent, so the language picks the voice."""

import re
import shutil
import subprocess
from collections.abc import Iterator

from .audio_codec import InvalidAudio, wav_to_mp3
from .base import SpeechFailed, SpeechUnavailable, TextToSpeech

_CJK = re.compile(r"[\u3400-\u9fff]")


class EspeakTextToSpeech(TextToSpeech):
    def __init__(self, binary: str, timeout: float):
        self.binary, self.timeout = binary, timeout

    def ensure_available(self) -> None:
        if shutil.which(self.binary) is None:
            raise SpeechUnavailable(
                f"未找到文字转语音程序{self.binary}：请安装espeak-ng或修改ESPEAK_BINARY、TEXT_TO_SPEECH_PROVIDER"
            )

    def synthesize(self, text: str, voice: str) -> Iterator[bytes]:
        language = "cmn" if _CJK.search(text) else "en"
        try:
            # The text goes in on stdin: as an argument, one starting with "-" would be an option.
            result = subprocess.run(
                [self.binary, "--stdout", "--stdin", "-v", language],
                input=text.encode(),
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SpeechFailed(f"文字转语音失败：{type(exc).__name__}") from None
        if result.returncode != 0:
            raise SpeechFailed(f"文字转语音失败：espeak-ng退出码{result.returncode}")
        try:
            yield wav_to_mp3(result.stdout)
        except InvalidAudio:
            raise SpeechFailed("文字转语音失败：espeak-ng输出了无法解码的音频") from None
