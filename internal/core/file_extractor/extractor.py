"""Chooses the reader for a file by its extension and returns the file's text."""

from collections.abc import Callable

from .errors import FileExtractError
from .json_document import extract_json
from .limits import DEFAULT_LIMITS, ExtractLimits
from .pdf_document import extract_pdf
from .plain_text import extract_plain_text
from .table import extract_csv, extract_xlsx
from .web_page import extract_html
from .word_document import extract_docx

_READERS: dict[str, Callable[[bytes, ExtractLimits], str]] = {
    ".txt": extract_plain_text,
    ".md": extract_plain_text,
    ".markdown": extract_plain_text,
    ".pdf": extract_pdf,
    ".docx": extract_docx,
    ".html": extract_html,
    ".htm": extract_html,
    ".csv": extract_csv,
    ".xlsx": extract_xlsx,
    ".json": extract_json,
}
SUPPORTED_EXTENSIONS = frozenset(_READERS)


def extract_text(data: bytes, extension: str, limits: ExtractLimits = DEFAULT_LIMITS) -> str:
    r"""The text of a file, for splitting into segments: stripped, with "\n" line breaks.

    `extension` is like ".pdf", in any case; "pdf" without the dot works too. Raises
    FileExtractError, with a message meant for the user, when the type is unsupported, the file
    is empty, corrupt or encrypted, holds no text, or exceeds `limits`.
    """
    reader = _READERS.get("." + extension.lower().lstrip("."))
    if reader is None:
        raise FileExtractError(f"不支持的文件类型：{extension or '无扩展名'}")
    if not data:
        raise FileExtractError("文件内容为空")
    text = reader(data, limits)
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()
