"""Google search through the Serper API (POST /search with the key in X-API-KEY)."""

from typing import Any

from internal.core.tools.builtin_tools.base import BuiltinTool

MAX_ORGANIC_RESULTS = 8


def format_serper_results(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    lines: list[str] = []
    answer_box = body.get("answerBox") or {}
    answer = answer_box.get("answer") or answer_box.get("snippet")
    if answer:
        lines.append(f"Answer: {answer}")
    graph = body.get("knowledgeGraph") or {}
    if graph.get("title"):
        kind = f" ({graph['type']})" if graph.get("type") else ""
        description = f": {graph['description']}" if graph.get("description") else ""
        lines.append(f"Knowledge graph: {graph['title']}{kind}{description}")
    for index, result in enumerate((body.get("organic") or [])[:MAX_ORGANIC_RESULTS], start=1):
        lines.append(f"{index}. {result.get('title', '')}\n   {result.get('link', '')}\n   {result.get('snippet', '')}")
    return "\n".join(lines)


class GoogleSerperTool(BuiltinTool):
    def execute(self, query: str) -> str:
        config = self.settings.builtin_tools
        api_key = self.require_setting(config.serper_api_key, "SERPER_API_KEY")
        body = self.request_json(
            "POST",
            f"{config.serper_api_base.rstrip('/')}/search",
            headers={"X-API-KEY": api_key},
            json={"q": query},
        )
        return format_serper_results(body) or f"Google found nothing for: {query}"
