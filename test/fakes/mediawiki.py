"""Plays the MediaWiki action API (api.php) for a search generator with intro extracts."""

from .http_server import FakeServer, RecordedRequest, Reply

PAGES = [
    {"title": "Python (programming language)", "extract": "Python is a high-level, general-purpose programming language."},
    {"title": "Monty Python", "extract": "Monty Python were a British comedy troupe."},
    {"title": "Pythonidae", "extract": "The Pythonidae are a family of nonvenomous snakes."},
]


class FakeMediaWiki(FakeServer):
    api_path = "/w/api.php"

    @property
    def api_url(self) -> str:
        return self.url + self.api_path

    def route(self, request: RecordedRequest) -> Reply:
        if request.path != self.api_path:
            return Reply(404, "Not Found")
        query = {k: v[0] for k, v in request.query.items()}
        if query.get("action") != "query" or query.get("generator") != "search":
            return Reply(200, {"error": {"code": "badvalue", "info": "Unrecognized value for parameter \"action\"."}})
        term = query.get("gsrsearch", "")
        matches = [page for page in PAGES if term.lower() in page["title"].lower()][: int(query.get("gsrlimit", 10))]
        if not matches:
            return Reply(200, {"batchcomplete": True})
        # MediaWiki returns pages in page-id order; `index` carries the search rank.
        pages = [{"pageid": 100 - rank, "ns": 0, "title": p["title"], "index": rank, "extract": p["extract"]} for rank, p in enumerate(matches, 1)]
        return Reply(200, {"batchcomplete": True, "query": {"pages": sorted(pages, key=lambda p: p["pageid"])}})
