"""Wikipedia search through the MediaWiki action API: one call searches and returns the intro extracts."""

from langchain_core.tools import ToolException

from internal.core.tools.builtin_tools.base import BuiltinTool

USER_AGENT = "LLMOps/1.0 (built-in wikipedia_search tool)"
TOP_PAGES = 3
MAX_CHARS_PER_PAGE = 1500


class WikipediaSearchTool(BuiltinTool):
    def execute(self, query: str) -> str:
        body = self.request_json(
            "GET",
            self.settings.builtin_tools.wikipedia_api_base,
            params={
                "action": "query",
                "format": "json",
                "formatversion": "2",
                "generator": "search",
                "gsrsearch": query,
                "gsrlimit": TOP_PAGES,
                "prop": "extracts",
                "exintro": "1",
                "explaintext": "1",
                "exlimit": TOP_PAGES,
                "redirects": "1",
            },
            headers={"User-Agent": USER_AGENT},
        )
        if not isinstance(body, dict):
            raise ToolException(f"{self.name} got an unexpected answer from Wikipedia")
        if "error" in body:
            error = body["error"] or {}
            raise ToolException(f"{self.name} failed: Wikipedia answered {error.get('code')}: {error.get('info')}")
        pages = sorted((body.get("query") or {}).get("pages") or [], key=lambda page: page.get("index", 0))
        summaries = []
        for page in pages:
            extract = (page.get("extract") or "").strip()
            if len(extract) > MAX_CHARS_PER_PAGE:
                extract = extract[:MAX_CHARS_PER_PAGE] + "…"
            summaries.append(f"Page: {page.get('title', '')}\nSummary: {extract}")
        return "\n\n".join(summaries) or f"Wikipedia has no page matching: {query}"
