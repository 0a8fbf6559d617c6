"""Visible text of an HTML page with BeautifulSoup and lxml, one line per block and a blank line per paragraph."""

import re

from bs4 import BeautifulSoup, CData, NavigableString, Tag

from .decoding import declared_html_charset, decode_text
from .errors import FileExtractError, describe
from .limits import ExtractLimits

_HIDDEN_TAGS = frozenset(
    {"canvas", "embed", "head", "iframe", "noscript", "object", "script", "style", "svg", "template"}
)
_PARAGRAPH_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dl", "fieldset", "figure", "footer", "form",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "nav", "ol", "p", "pre",
        "section", "table", "ul",
    }
)
_LINE_TAGS = frozenset(
    {"caption", "dd", "details", "div", "dt", "figcaption", "legend", "li", "option", "summary", "tr"}
)
_CELL_TAGS = frozenset({"td", "th"})
# Break markers used while walking the tree; control characters are removed from the page's own
# text first, so they cannot occur there. Whitespace inside text nodes is source formatting, so
# only these markers (and <br> and <pre>) make line breaks.
_PARAGRAPH_BREAK = "\x1e"
_LINE_BREAK = "\x1d"
_CELL_END = "\x1f"
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WHITESPACE = re.compile(r"\s+")
_BREAK_RUN = re.compile(r"[ \n\x1d\x1e]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def extract_html(data: bytes, limits: ExtractLimits) -> str:
    markup = decode_text(data, declared_html_charset(data))
    try:
        soup = BeautifulSoup(markup, "lxml")
        title = soup.title.get_text(" ", strip=True) if soup.title else ""
        body = _visible_text(soup)
    except Exception as exc:
        raise FileExtractError(f"无法解析HTML文件：{describe(exc)}") from exc
    text = "\n\n".join(part for part in (title, body) if part)
    if not text:
        raise FileExtractError("HTML文件中没有可提取的文字")
    if len(text) > limits.max_chars:
        raise FileExtractError(f"文件内容过长：提取出的文字超过{limits.max_chars}个字符，请拆分后再上传")
    return text


def _visible_text(root: Tag) -> str:
    # An explicit stack instead of recursion: generated pages can nest deeper than Python's limit.
    parts: list[str] = []
    stack = [(iter(root.children), "")]
    while stack:
        children, closing = stack[-1]
        node = next(children, None)
        if node is None:
            stack.pop()
            parts.append(closing)
            continue
        if isinstance(node, NavigableString):
            # Comments, doctypes and processing instructions are NavigableString subclasses too.
            if type(node) in (NavigableString, CData):
                parts.append(_WHITESPACE.sub(" ", _clean(str(node))))
            continue
        if not isinstance(node, Tag) or node.name in _HIDDEN_TAGS:
            continue
        if node.name == "br":
            parts.append("\n")
        elif node.name == "pre":
            parts.append(_PARAGRAPH_BREAK + _clean(node.get_text()) + _PARAGRAPH_BREAK)
        else:
            if node.name in _PARAGRAPH_TAGS:
                marker = _PARAGRAPH_BREAK
            elif node.name in _LINE_TAGS:
                marker = _LINE_BREAK
            elif node.name in _CELL_TAGS:
                marker = _CELL_END
            else:
                marker = ""
            if marker != _CELL_END:
                parts.append(marker)
            stack.append((iter(node.children), marker))
    return _assemble_lines("".join(parts))


def _clean(text: str) -> str:
    return _CONTROL_CHARACTERS.sub("", text)


def _assemble_lines(raw: str) -> str:
    text = _BREAK_RUN.sub(_collapse_break, raw)
    lines = []
    for line in text.split("\n"):
        cells = (cell.strip() for cell in line.split(_CELL_END))
        lines.append(" | ".join(cell for cell in cells if cell))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _collapse_break(match: re.Match[str]) -> str:
    """A run of spaces and breaks becomes a blank line, a line break or a space, whichever is strongest."""
    run = match.group()
    if _PARAGRAPH_BREAK in run or run.count("\n") >= 2:
        return "\n\n"
    if _LINE_BREAK in run or "\n" in run:
        return "\n"
    return " "
