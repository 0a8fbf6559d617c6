"""Turns the bytes of a text file into text: UTF-8 (with or without BOM), UTF-16 with a BOM, or GB18030.

No statistical detection: on small files it confuses GBK with other encodings.
"""

import codecs
import re

from .errors import FileExtractError

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_HTML_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
# Pages labelled with the older Chinese charsets often use characters only their superset has.
_CHARSET_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "ascii": "utf-8", "us-ascii": "utf-8"}


def decode_text(data: bytes, declared_charset: str | None = None) -> str:
    if data.startswith(_UTF16_BOMS):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8-sig"]
        if declared_charset:
            candidates.append(declared_charset)
        candidates.append("gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if "\x00" in text:
            raise FileExtractError("无法解析文件：文件包含二进制内容，不是文本文件")
        return text
    raise FileExtractError("无法解析文件：文本编码无法识别，请使用UTF-8或GBK编码保存后重新上传")


def declared_html_charset(data: bytes) -> str | None:
    """The charset a page declares in a <meta> tag near its top, if Python knows it."""
    match = _HTML_CHARSET.search(data[:4096])
    if match is None:
        return None
    name = match.group(1).decode("ascii").lower()
    name = _CHARSET_SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None
