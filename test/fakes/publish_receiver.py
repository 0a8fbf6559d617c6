"""A content platform's publishing webhook: records each POST and answers per path as scripted —
an id and engagement figures for what it accepted, or a failure status."""

import threading

from .http_server import RecordedRequest, Reply
from .scripted_server import ScriptedServer


class PublishReceiver(ScriptedServer):
    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()
        self._replies: dict[str, Reply] = {}

    def answer(self, path: str, post_id: str = "", **engagement: int) -> None:
        """Accept POSTs to `path`, answering `{"id": post_id, "engagement": {...}}`."""
        with self._lock:
            self._replies[path] = Reply(200, {"id": post_id, "engagement": engagement})

    def fail(self, path: str, status: int = 500, text: str = "platform is down") -> None:
        with self._lock:
            self._replies[path] = Reply(status, text)

    def route(self, request: RecordedRequest) -> Reply:
        with self._lock:
            return self._replies.get(request.path, Reply(200, {"ok": True}))

    def received(self, path: str) -> list[RecordedRequest]:
        return [request for request in list(self.requests) if request.path == path]
