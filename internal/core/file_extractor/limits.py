"""Bounds on the work one file may cause, so a small upload cannot expand into gigabytes or hours."""

import io
import zipfile
from dataclasses import dataclass

from .errors import FileExtractError


@dataclass(frozen=True)
class ExtractLimits:
    max_chars: int = 10_000_000
    # Rows with content in a CSV file or in all sheets of a workbook together.
    max_rows: int = 100_000
    # Columns past this one are ignored in spreadsheets.
    max_columns: int = 1_000
    max_pdf_pages: int = 5_000
    # The declared, uncompressed size of all members of a .docx/.xlsx archive.
    max_unpacked_bytes: int = 200 * 1024 * 1024


DEFAULT_LIMITS = ExtractLimits()


class TextBudget:
    """Collects extracted parts and stops extraction as soon as they exceed `max_chars`."""

    def __init__(self, max_chars: int):
        self.max_chars = max_chars
        self.parts: list[str] = []
        self.size = 0

    def add(self, part: str) -> None:
        self.size += len(part)
        if self.size > self.max_chars:
            raise FileExtractError(f"文件内容过长：提取出的文字超过{self.max_chars}个字符，请拆分后再上传")
        self.parts.append(part)

    def join(self, separator: str) -> str:
        return separator.join(self.parts)


def check_zip_archive(data: bytes, limits: ExtractLimits, kind: str) -> None:
    """Rejects archives that are not zip files or whose members claim to unpack past the limit.

    zipfile never returns more than a member's declared size, so checking the declarations
    bounds what the Office readers can unpack.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise FileExtractError(f"无法解析{kind}文件：文件已损坏或不是有效的{kind}格式") from exc
    if unpacked > limits.max_unpacked_bytes:
        raise FileExtractError(f"无法解析{kind}文件：解压后的内容超过{limits.max_unpacked_bytes // (1024 * 1024)}MB")
