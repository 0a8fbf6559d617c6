"""Text of a PDF, page by page, with pypdf. Scanned pages (images only) yield nothing: there is no OCR."""

import io

from pypdf import PdfReader

from .errors import FileExtractError, describe
from .limits import ExtractLimits, TextBudget


def extract_pdf(data: bytes, limits: ExtractLimits) -> str:
    try:
        reader = PdfReader(io.BytesIO(data))
        _open_if_encrypted(reader)
        pages = reader.pages
        if len(pages) > limits.max_pdf_pages:
            raise FileExtractError(f"PDF文件页数过多：超过{limits.max_pdf_pages}页，请拆分后再上传")
        budget = TextBudget(limits.max_chars)
        for page in pages:
            budget.add((page.extract_text() or "").strip())
    except FileExtractError:
        raise
    except Exception as exc:
        raise FileExtractError(f"无法解析PDF文件，文件可能已损坏：{describe(exc)}") from exc
    text = budget.join("\n\n").strip()
    if not text:
        raise FileExtractError("PDF文件中没有可提取的文字，可能是扫描件或纯图片文档")
    return text


def _open_if_encrypted(reader: PdfReader) -> None:
    """Many PDFs are encrypted only against editing, with an empty password for reading."""
    if not reader.is_encrypted:
        return
    try:
        opened = reader.decrypt("")
    except Exception as exc:
        raise FileExtractError("无法解析PDF文件：文件已加密") from exc
    if not opened:
        raise FileExtractError("无法解析PDF文件：文件已加密，需要密码才能打开")
