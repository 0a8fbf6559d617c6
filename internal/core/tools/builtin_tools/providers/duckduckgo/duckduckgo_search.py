"""Web search through DuckDuckGo's HTML endpoint (POST /html/), which needs no API key."""

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

from langchain_core.tools import ToolException

from internal.core.tools.builtin_tools.base import BuiltinTool

USER_AGENT = "Mozilla/5.0 (compatible; LLMOps/1.0)"


@dataclass
class SearchResult:
    title: str = ""
    url: str = ""
    snippet: str = ""

    @property
    def is_ad(self) -> bool:
        return "duckduckgo.com/y.js" in self.url


def _result_target(href: str) -> str:
    """DuckDuckGo wraps result links in its /l/ redirect; the real address is in `uddg`."""
    if href.startswith("//"):
        href = "https:" + href
    parts = urlsplit(href)
    if parts.path == "/l/" and "duckduckgo.com" in parts.netloc:
        return parse_qs(parts.query).get("uddg", [href])[0]
    return href


class DuckDuckGoResultsParser(HTMLParser):
    """Collects each `a.result__a` (title and link) and the `.result__snippet` that follows it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.results: list[SearchResult] = []
        self._field: str | None = None
        self._field_tag = ""
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if self._field:
            self._depth += tag == self._field_tag
            return
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "a" and "result__a" in classes:
            self.results.append(SearchResult(url=_result_target(attributes.get("href") or "")))
            self._field, self._field_tag, self._depth = "title", tag, 1
        elif "result__snippet" in classes and self.results:
            self._field, self._field_tag, self._depth = "snippet", tag, 1

    def handle_endtag(self, tag):
        if self._field and tag == self._field_tag:
            self._depth -= 1
            if self._depth == 0:
                self._field = None

    def handle_data(self, data):
        if self._field:
            result = self.results[-1]
            setattr(result, self._field, getattr(result, self._field) + data)


def parse_results(html: str) -> list[SearchResult]:
    parser = DuckDuckGoResultsParser()
    parser.feed(html)
    parser.close()
    return [r for r in parser.results if not r.is_ad and r.url]


class DuckDuckGoSearchTool(BuiltinTool):
    max_results: int = 5

    def execute(self, query: str) -> str:
        base = self.settings.builtin_tools.duckduckgo_api_base.rstrip("/")
        response = self.request("POST", f"{base}/html/", data={"q": query}, headers={"User-Agent": USER_AGENT})
        if response.status_code == 202:
            # DuckDuckGo answers 202 with a challenge page when it throttles a client.
            raise ToolException(f"{self.name} was rate limited by DuckDuckGo; try again later")
        results = parse_results(response.text)[: self.max_results]
        if not results:
            return f"DuckDuckGo found nothing for: {query}"
        return "\n".join(
            f"{index}. {' '.join(r.title.split())}\n   {r.url}\n   {' '.join(r.snippet.split())}"
            for index, r in enumerate(results, start=1)
        )
