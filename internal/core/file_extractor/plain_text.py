"""Text of .txt and Markdown files, decoded as they are; Markdown markup is kept."""

from .decoding import decode_text
from .errors import FileExtractError
from .limits import ExtractLimits


def extract_plain_text(data: bytes, limits: ExtractLimits) -> str:
    text = decode_text(data)
    if len(text) > limits.max_chars:
        raise FileExtractError(f"文件内容过长：提取出的文字超过{limits.max_chars}个字符，请拆分后再上传")
    if not text.strip():
        raise FileExtractError("文件中没有可提取的文字")
    return text
