"""Text of CSV files and Excel workbooks: one line per row, each value labelled with its column's header.

A row reads `name: Alice; age: 30`, so a segment cut from the middle of a table still says what
each value is. The first row is the header when it looks like column names (see
`_looks_like_header`); otherwise cells are joined with " | ". Workbooks are read sheet by sheet,
each under a `Sheet: <title>` line, with cached formula results rather than formulas.
"""

import csv
import datetime
import io
from collections.abc import Iterable, Iterator, Sequence

from openpyxl import load_workbook

from .decoding import decode_text
from .errors import FileExtractError, describe
from .limits import ExtractLimits, TextBudget, check_zip_archive

_CSV_DELIMITERS = ",;\t|"
_MAX_HEADER_LENGTH = 64


def extract_csv(data: bytes, limits: ExtractLimits) -> str:
    text = decode_text(data)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
        budget = TextBudget(limits.max_chars)
        _add_table(budget, reader, limits.max_rows, limits)
    except FileExtractError:
        raise
    except (csv.Error, ValueError) as exc:
        raise FileExtractError(f"无法解析CSV文件：{describe(exc)}") from exc
    result = budget.join("\n").strip()
    if not result:
        raise FileExtractError("CSV文件中没有可提取的内容")
    return result


def extract_xlsx(data: bytes, limits: ExtractLimits) -> str:
    check_zip_archive(data, limits, "Excel")
    budget = TextBudget(limits.max_chars)
    rows_left = limits.max_rows
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for sheet in workbook.worksheets:
                # Stored dimensions can claim a million empty rows or columns; read what is there.
                sheet.reset_dimensions()
                rows = (row[: limits.max_columns] for row in sheet.iter_rows(values_only=True))
                sheet_budget = TextBudget(limits.max_chars)
                rows_left -= _add_table(sheet_budget, rows, rows_left, limits)
                if sheet_budget.parts:
                    budget.add(f"Sheet: {sheet.title}\n" + sheet_budget.join("\n"))
        finally:
            workbook.close()
    except FileExtractError:
        raise
    except Exception as exc:
        raise FileExtractError(f"无法解析Excel文件，文件可能已损坏：{describe(exc)}") from exc
    result = budget.join("\n\n").strip()
    if not result:
        raise FileExtractError("Excel文件中没有可提取的内容")
    return result


def _add_table(budget: TextBudget, rows: Iterable[Sequence], rows_allowed: int, limits: ExtractLimits) -> int:
    """Adds one line per non-empty row and returns how many rows that was."""
    header: list[str] | None = None
    count = 0
    for cells in _non_empty_rows(rows):
        count += 1
        if count > rows_allowed:
            raise FileExtractError(f"表格行数过多：超过{limits.max_rows}行，请拆分后再上传")
        if count == 1 and _looks_like_header(cells):
            header = cells
            continue
        budget.add(_row_text(cells, header))
    if header is not None and not budget.parts:
        budget.add(" | ".join(cell for cell in header if cell))
    return count


def _non_empty_rows(rows: Iterable[Sequence]) -> Iterator[list[str]]:
    for row in rows:
        cells = [_cell_text(value) for value in row]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            yield cells


def _looks_like_header(cells: list[str]) -> bool:
    """Column names: at least two, none a number or as long as a sentence, none empty.

    The first may be empty, as in files written by pandas with its index column.
    """
    names = cells[1:] if not cells[0] else cells
    return (
        len(names) >= 2
        and all(0 < len(name) <= _MAX_HEADER_LENGTH for name in names)
        and not any(_is_number(name) for name in names)
    )


def _row_text(cells: list[str], header: list[str] | None) -> str:
    if header is None:
        return " | ".join(cell for cell in cells if cell)
    pairs = []
    for index, cell in enumerate(cells):
        if not cell:
            continue
        label = header[index] if index < len(header) else ""
        pairs.append(f"{label}: {cell}" if label else cell)
    return "; ".join(pairs)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    # Line breaks inside a cell would split its row across lines.
    return " ".join(str(value).split())


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def _sniff_delimiter(text: str) -> str:
    # Only the delimiter is sniffed; the sniffer's guesses about quoting are unreliable on
    # small samples, and Excel's quoting is what nearly every CSV file uses.
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters=_CSV_DELIMITERS).delimiter
    except csv.Error:
        return ","
