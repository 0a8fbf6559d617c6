"""Reads a web page or text document for the agent. The URL comes from the model, so the request
goes through the guarded client, which refuses private, loopback and metadata addresses."""

from html.parser import HTMLParser

from langchain_core.tools import ToolException

from internal.core.tools.builtin_tools.base import BuiltinTool
from pkg.guarded_http import OutboundRequestFailed, OutboundRequestRefused

USER_AGENT = "Mozilla/5.0 (compatible; LLMOps/1.0; +webpage_fetch)"
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/xhtml+xml", "application/javascript")
_SKIPPED_TAGS = {"script", "style", "noscript", "template", "svg", "iframe", "head"}
_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "pre", "blockquote", "table", "ul", "ol"}


class PageTextParser(HTMLParser):
    """The page's title and visible text, one block per line."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.title = ""
        self._lines: list[str] = [""]
        self._skipping = 0
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self._in_title = True
        elif tag == "body":
            self._skipping = 0  # `</head>` may be omitted in HTML5
        elif tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self._lines.append("")

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self._lines.append("")

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        elif not self._skipping:
            self._lines[-1] += data

    @property
    def text(self) -> str:
        lines = (" ".join(line.split()) for line in self._lines)
        return "\n".join(line for line in lines if line)


def page_text(html: str) -> tuple[str, str]:
    parser = PageTextParser()
    parser.feed(html)
    parser.close()
    return " ".join(parser.title.split()), parser.text


class WebpageFetchTool(BuiltinTool):
    max_chars: int = 4000

    def execute(self, url: str) -> str:
        try:
            response = self.guarded_http.request("GET", url.strip(), headers={"User-Agent": USER_AGENT, "Accept": "text/html,text/plain,*/*;q=0.5"})
        except OutboundRequestRefused as exc:
            raise ToolException(f"{self.name} may not read this address: {exc}") from None
        except OutboundRequestFailed as exc:
            raise ToolException(f"{self.name} could not read {url}: {exc}") from None
        if response.status_code >= 400:
            raise ToolException(f"{self.name} could not read {url}: HTTP {response.status_code}")

        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type and not content_type.startswith(_TEXT_TYPES):
            raise ToolException(f"{self.name} reads text and web pages only, {url} is {content_type}")
        if content_type in ("text/html", "application/xhtml+xml") or (not content_type and "<html" in response.text[:1000].lower()):
            title, text = page_text(response.text)
        else:
            title, text = "", response.text.strip()

        cut = response.truncated or len(text) > self.max_chars
        text = text[: self.max_chars]
        header = f"Title: {title}\nURL: {response.url}\n\n" if title else f"URL: {response.url}\n\n"
        return header + (text or "(the page has no text)") + ("\n[content truncated]" if cut else "")
