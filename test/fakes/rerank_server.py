"""Plays a rerank endpoint: POST /rerank in Jina/Cohere form ({model, query, documents, top_n} →
{"results": [{"index", "relevance_score"}]}) or TEI form ({query, texts} → [{"index", "score"}]).

A document's score is the share of the query's distinct characters it contains, unless a test
scripted scores for texts containing given phrases; `fail_next` makes the next call answer 503.
"""

import threading

from .http_server import FakeServer, RecordedRequest, Reply


class FakeRerank(FakeServer):
    def __init__(self, api_key: str = "rk-test-fake"):
        super().__init__()
        self.api_key = api_key
        self.phrase_scores: dict[str, float] = {}
        self._failures = 0
        self._lock = threading.Lock()

    def score_phrases(self, scores: dict[str, float]) -> None:
        """Documents containing one of these phrases get its score (the first that matches)."""
        self.phrase_scores = dict(scores)

    def fail_next(self) -> None:
        with self._lock:
            self._failures += 1

    def bodies(self) -> list[dict]:
        return [request.json() for request in self.requests if request.path == "/rerank"]

    def route(self, request: RecordedRequest) -> Reply:
        if request.method != "POST" or request.path != "/rerank":
            return Reply(404, {"error": "Not Found"})
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply(401, {"detail": "Unauthorized"})
        with self._lock:
            if self._failures:
                self._failures -= 1
                return Reply(503, {"error": "overloaded", "error_type": "Overloaded"})
        body = request.json() or {}
        query = body.get("query")
        tei = "texts" in body
        texts = body.get("texts") if tei else body.get("documents")
        if not isinstance(query, str) or not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            return Reply(422, {"error": "query must be a string and documents/texts a list of strings"})
        if not tei and not body.get("model"):
            return Reply(400, {"detail": "model is required"})
        scores = [self._score(query, text) for text in texts]
        order = sorted(range(len(texts)), key=lambda index: -scores[index])
        if tei:
            return Reply(200, [{"index": index, "score": scores[index]} for index in order])
        top_n = body.get("top_n") or len(texts)
        results = [{"index": index, "relevance_score": scores[index]} for index in order[:top_n]]
        return Reply(200, {"model": body["model"], "results": results, "usage": {"total_tokens": 0}})

    def _score(self, query: str, text: str) -> float:
        for phrase, score in self.phrase_scores.items():
            if phrase in text:
                return score
        wanted = {char for char in query if not char.isspace()}
        return round(sum(1 for char in wanted if char in text) / max(len(wanted), 1), 4)
