"""Text of a Word .docx file with python-docx: body paragraphs and tables in document order.

Paragraphs are separated by a blank line and each table row becomes one line of cells joined by
" | ". Headers, footers, footnotes, comments, text boxes and images are not read.
"""

import io
from collections.abc import Iterator

import docx
from docx.oxml.ns import qn
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from .errors import FileExtractError, describe
from .limits import ExtractLimits, TextBudget, check_zip_archive

_PARAGRAPH = qn("w:p")
_TABLE = qn("w:tbl")
# Content controls (<w:sdt>) wrap blocks such as a table of contents or form fields.
_CONTENT_CONTROL = qn("w:sdt")
_CONTENT_CONTROL_BODY = qn("w:sdtContent")


def extract_docx(data: bytes, limits: ExtractLimits) -> str:
    check_zip_archive(data, limits, "Word")
    try:
        document = docx.Document(io.BytesIO(data))
        budget = TextBudget(limits.max_chars)
        for block in _blocks(document.element.body, document):
            if block:
                budget.add(block)
    except FileExtractError:
        raise
    except Exception as exc:
        raise FileExtractError(f"无法解析Word文件，文件可能已损坏：{describe(exc)}") from exc
    text = budget.join("\n\n").strip()
    if not text:
        raise FileExtractError("Word文件中没有可提取的文字")
    return text


def _blocks(container, parent) -> Iterator[str]:
    """One string per paragraph or table directly inside `container`, looking through content controls."""
    for element in container.iterchildren():
        if element.tag == _PARAGRAPH:
            yield Paragraph(element, parent).text.strip()
        elif element.tag == _TABLE:
            yield _table_text(Table(element, parent))
        elif element.tag == _CONTENT_CONTROL:
            body = element.find(_CONTENT_CONTROL_BODY)
            if body is not None:
                yield from _blocks(body, parent)


def _table_text(table: Table) -> str:
    lines = []
    for row in table.rows:
        cells = []
        previous = None
        for cell in row.cells:
            # A cell spanning several grid columns is repeated once per column.
            if previous is not None and cell._tc is previous._tc:
                continue
            previous = cell
            cells.append(_cell_text(cell))
        if any(cells):
            lines.append(" | ".join(cells))
    return "\n".join(lines)


def _cell_text(cell: _Cell) -> str:
    # A cell holds paragraphs and possibly nested tables; inside a row they read as one line.
    parts = (" ".join(block.split()) for block in _blocks(cell._tc, cell))
    return "; ".join(part for part in parts if part)
