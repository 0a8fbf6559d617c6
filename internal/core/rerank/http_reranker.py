"""A rerank endpoint of the common shape: POST {base}/rerank, as served by Jina, Cohere, Xinference,
vLLM and Text Embeddings Inference (TEI).

Jina/Cohere style sends `{model, query, documents, top_n}` and answers
`{"results": [{"index", "relevance_score"}]}`; TEI style sends `{query, texts}` and answers
`[{"index", "score"}]`. Either answer shape is accepted whatever was sent.
"""

from collections.abc import Sequence

import httpx

from .base import Reranker, RerankError


class HttpReranker(Reranker):
    def __init__(
        self, base_url: str, api_key: str, model: str, api_format: str, candidates: int, timeout: float
    ):
        self.url = base_url.rstrip("/") + "/rerank"
        self.api_key = api_key
        self.model = model
        self.api_format = api_format
        self.candidates = candidates
        self.timeout = timeout
        # One client for every search: a new one per request builds its TLS context and opens a
        # new connection each time (~25 ms here).
        self.client = httpx.Client(timeout=timeout)

    def rerank(self, query: str, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        if self.api_format == "tei":
            body = {"query": query, "texts": list(texts), "truncate": True}
        else:
            body = {"model": self.model, "query": query, "documents": list(texts), "top_n": len(texts)}
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            response = self.client.post(self.url, json=body, headers=headers)
            response.raise_for_status()
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RerankError(f"rerank request to {self.url} failed: {exc}") from exc
        return _order(answer, len(texts))


def _order(answer: object, count: int) -> list[int]:
    """Indexes by descending score; candidates the answer left out follow in their own order."""
    results = answer.get("results") if isinstance(answer, dict) else answer
    if not isinstance(results, list):
        raise RerankError("rerank answer holds no results")
    scored: dict[int, float] = {}
    for item in results:
        index = item.get("index") if isinstance(item, dict) else None
        score = item.get("relevance_score", item.get("score")) if isinstance(item, dict) else None
        if not isinstance(index, int) or not 0 <= index < count or not isinstance(score, (int, float)):
            raise RerankError(f"rerank answer has a malformed result: {item!r}")
        scored[index] = float(score)
    ranked = sorted(scored, key=lambda index: -scored[index])
    return ranked + [index for index in range(count) if index not in scored]
