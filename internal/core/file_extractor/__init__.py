"""Turns an uploaded document (txt, Markdown, PDF, Word, HTML, CSV, Excel, JSON) into plain text."""

from .errors import FileExtractError
from .extractor import SUPPORTED_EXTENSIONS, extract_text
from .limits import DEFAULT_LIMITS, ExtractLimits

__all__ = ["DEFAULT_LIMITS", "SUPPORTED_EXTENSIONS", "ExtractLimits", "FileExtractError", "extract_text"]
