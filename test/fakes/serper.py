"""Plays the Serper Google search API: POST /search with the key in X-API-KEY."""

from .http_server import FakeServer, RecordedRequest, Reply


class FakeSerper(FakeServer):
    def __init__(self, api_key: str):
        super().__init__()
        self.api_key = api_key

    def route(self, request: RecordedRequest) -> Reply:
        if request.method != "POST" or request.path != "/search":
            return Reply(404, {"message": "Not found", "statusCode": 404})
        if request.headers.get("x-api-key") != self.api_key:
            return Reply(403, {"message": "Unauthorized.", "statusCode": 403})
        query = request.json().get("q", "")
        return Reply(
            200,
            {
                "searchParameters": {"q": query, "type": "search", "engine": "google"},
                "answerBox": {"title": query, "answer": "42"},
                "knowledgeGraph": {"title": "Deep Thought", "type": "Computer", "description": "A fictional computer."},
                "organic": [
                    {"title": f"{query} - result {i}", "link": f"https://example.com/{i}", "snippet": f"Snippet {i} about {query}", "position": i}
                    for i in range(1, 4)
                ],
            },
        )
