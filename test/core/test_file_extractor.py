"""File extraction on real documents of every supported format, and the errors users see for bad files."""

import io
import zipfile
from pathlib import Path

import pytest

from internal.core.file_extractor import SUPPORTED_EXTENSIONS, ExtractLimits, FileExtractError, extract_text
from test.fixtures.make_documents import DOCUMENTS_DIR, EN_SECOND, EN_SENTENCE, HIDDEN_TEXT, ZH_SECOND, ZH_SENTENCE


def _read(name: str) -> bytes:
    return (DOCUMENTS_DIR / name).read_bytes()


def _extract(name: str, limits: ExtractLimits | None = None) -> str:
    extension = Path(name).suffix
    if limits is None:
        return extract_text(_read(name), extension)
    return extract_text(_read(name), extension, limits)


def _error(data: bytes, extension: str, limits: ExtractLimits | None = None) -> str:
    with pytest.raises(FileExtractError) as caught:
        if limits is None:
            extract_text(data, extension)
        else:
            extract_text(data, extension, limits)
    assert caught.value.message == str(caught.value) != ""
    return caught.value.message


def test_every_fixture_is_small():
    for path in DOCUMENTS_DIR.iterdir():
        assert path.stat().st_size < 50_000, path.name


@pytest.mark.parametrize(
    "name",
    [
        "sample.txt",
        "sample_gbk.txt",
        "sample_utf16.txt",
        "sample.md",
        "sample.pdf",
        "sample.docx",
        "sample.html",
        "sample_gbk.html",
        "sample.csv",
        "sample.xlsx",
        "sample.json",
    ],
)
def test_extracts_chinese_and_english_sentences(name):
    text = _extract(name)

    assert ZH_SENTENCE in text
    assert EN_SENTENCE in text
    assert "\r" not in text
    assert text == text.strip()


def test_all_supported_extensions_have_a_fixture():
    covered = {Path(name).suffix for name in (p.name for p in DOCUMENTS_DIR.iterdir())}
    assert SUPPORTED_EXTENSIONS - covered == {".markdown", ".htm"}


@pytest.mark.parametrize("name", ["sample.txt", "sample_gbk.txt", "sample_utf16.txt"])
def test_text_files_are_decoded_whole(name):
    text = _extract(name)

    assert text.splitlines()[:2] == [ZH_SENTENCE, EN_SENTENCE]
    assert f"{ZH_SECOND}\n{EN_SECOND}" in text


def test_markdown_keeps_its_markup_and_aliases_work():
    data = _read("sample.md")

    text = extract_text(data, ".md")

    assert text.startswith("# 知识库\n\n")
    assert f"- {EN_SENTENCE}" in text
    assert extract_text(data, ".markdown") == text
    assert extract_text(data, ".MD") == text
    assert extract_text(data, "md") == text


def test_pdf_pages_are_separated_by_a_blank_line():
    text = _extract("sample.pdf")

    assert text == f"{ZH_SENTENCE}\n{EN_SENTENCE}\n\n{ZH_SECOND}\n{EN_SECOND}"


def test_docx_reads_paragraphs_and_tables_in_document_order():
    text = _extract("sample.docx")

    assert text.index("知识库说明") < text.index(ZH_SENTENCE) < text.index("名称 | 说明 | Note")
    assert text.index("分段 | 表格单元格中的中文 | Table cell text") < text.index(EN_SENTENCE)
    # A cell merged across three columns is read once.
    assert text.count("Merged cell appears once") == 1
    assert f"{ZH_SECOND} {EN_SECOND}" in text


def test_html_keeps_visible_text_with_line_breaks():
    text = _extract("sample.html")

    assert HIDDEN_TEXT not in text
    assert "body {" not in text
    assert text.startswith("知识库网页\n\n检索说明\n\n")
    assert f"{EN_SENTENCE}\n{EN_SECOND}" in text
    assert "第一项\nSecond item" in text
    assert f"名称 | 说明\n分段 | {ZH_SECOND}" in text


def test_html_honours_a_declared_charset():
    text = _extract("sample_gbk.html")

    assert text == f"{ZH_SENTENCE}\n\n{EN_SENTENCE}"


def test_html_nested_deeper_than_the_recursion_limit():
    markup = "<div>" * 5000 + "深层文字" + "</div>" * 5000

    assert extract_text(markup.encode(), ".htm") == "深层文字"


def test_csv_rows_label_values_with_the_header():
    lines = _extract("sample.csv").splitlines()

    assert lines == [
        f"问题: 什么是知识库; 答案: {ZH_SENTENCE}; score: 0.9",
        f"问题: What does the knowledge base do; 答案: {EN_SENTENCE}; score: 0.8",
        "问题: 多行单元格; 答案: 第一行 第二行",
    ]


def test_csv_without_a_header_joins_cells():
    data = "1,知识库,2024\n2,向量,2025\n".encode("gbk")

    assert extract_text(data, ".csv") == "1 | 知识库 | 2024\n2 | 向量 | 2025"


def test_csv_with_semicolons():
    data = "name;city\nAlice;北京\nBob;上海\n".encode()

    assert extract_text(data, ".csv") == "name: Alice; city: 北京\nname: Bob; city: 上海"


def test_csv_quoting_follows_excel():
    data = '名称,描述\n知识库,"包含逗号,以及引号""的内容"\n'.encode()

    assert extract_text(data, ".csv") == '名称: 知识库; 描述: 包含逗号,以及引号"的内容'


def test_csv_with_an_unnamed_index_column():
    data = b",name,age\n0,Alice,30\n1,Bob,25\n"

    assert extract_text(data, ".csv") == "0; name: Alice; age: 30\n1; name: Bob; age: 25"


def test_xlsx_reads_every_sheet_row_by_row():
    text = _extract("sample.xlsx")

    assert text.split("\n\n") == [
        "Sheet: 常见问题\n"
        f"问题: 什么是知识库; 答案: {ZH_SENTENCE}; 次数: 3; 日期: 2024-05-16\n"
        f"问题: What is retrieval; 答案: {EN_SECOND}; 次数: 2.5; 日期: 2024-05-17 08:30:00",
        f"Sheet: Notes\n{EN_SENTENCE}\n{ZH_SECOND}",
    ]


def test_json_values_keep_their_key_paths():
    text = _extract("sample.json")

    assert f"description: {ZH_SENTENCE}" in text
    assert "enabled: true" in text
    assert "missing" not in text
    # Records of an array are separated by a blank line.
    assert f"faq[0].answer: {EN_SENTENCE}\n\nfaq[1].question: 检索如何工作？" in text
    assert "faq[1].tags[1]: bm25" in text


def test_json_nested_deeply():
    data = ("[" * 500 + '"深层"' + "]" * 500).encode()

    assert extract_text(data, ".json") == "[0]" * 500 + ": 深层"


@pytest.mark.parametrize("name", ["sample.pdf", "sample.docx", "sample.xlsx"])
def test_truncated_binary_documents_are_rejected(name):
    data = _read(name)

    message = _error(data[: len(data) // 2], Path(name).suffix)

    assert message.startswith("无法解析")


def test_encrypted_pdf_is_rejected():
    assert "加密" in _error(_read("encrypted.pdf"), ".pdf")


def test_pdf_without_text_is_rejected():
    assert "没有可提取的文字" in _error(_read("blank.pdf"), ".pdf")


def test_text_in_an_unknown_encoding_is_rejected():
    assert "编码" in _error(b"\x80\xff" * 50, ".txt")


def test_binary_content_is_not_text():
    assert "二进制" in _error(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ".txt")


@pytest.mark.parametrize("extension", sorted(SUPPORTED_EXTENSIONS))
def test_empty_files_are_rejected(extension):
    assert _error(b"", extension) == "文件内容为空"


@pytest.mark.parametrize("data", [b"  \n\t\n", "\ufeff".encode()])
def test_whitespace_only_text_is_rejected(data):
    assert "没有可提取的文字" in _error(data, ".txt")


def test_unsupported_extensions_are_rejected():
    assert _error(b"MZ", ".exe") == "不支持的文件类型：.exe"
    assert _error(b"text", "") == "不支持的文件类型：无扩展名"


def test_invalid_json_is_rejected():
    assert _error(b'{"a": ', ".json").startswith("无法解析JSON文件：")


def test_workbook_given_as_word_document_is_rejected():
    assert _error(_read("sample.xlsx"), ".docx").startswith("无法解析Word文件")


def test_text_longer_than_the_limit_is_rejected():
    limits = ExtractLimits(max_chars=50)

    assert "过长" in _error(("知识库" * 20).encode(), ".txt", limits)
    assert "过长" in _error(_read("sample.pdf"), ".pdf", limits)
    assert "过长" in _error(_read("sample.docx"), ".docx", limits)


def test_tables_with_too_many_rows_are_rejected():
    rows = "name,value\n" + "".join(f"row{i},{i}\n" for i in range(20))
    limits = ExtractLimits(max_rows=10)

    assert "行数过多" in _error(rows.encode(), ".csv", limits)
    assert "行数过多" in _error(_read("sample.xlsx"), ".xlsx", ExtractLimits(max_rows=3))


def test_archives_that_unpack_too_large_are_rejected():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * 5_000_000)
    bomb = buffer.getvalue()
    limits = ExtractLimits(max_unpacked_bytes=1_000_000)

    assert len(bomb) < 50_000
    assert "解压后的内容超过" in _error(bomb, ".docx", limits)
    assert "解压后的内容超过" in _error(bomb, ".xlsx", limits)


def test_spreadsheet_columns_past_the_limit_are_ignored():
    text = extract_text(_read("sample.xlsx"), ".xlsx", ExtractLimits(max_columns=2))

    assert "次数" not in text
    assert f"答案: {ZH_SENTENCE}" in text
