"""A receiver of webhook POSTs (a customer's endpoint): records each request and answers with a
status scripted per path, e.g. the first two tries of /flaky fail."""

import threading
from collections import defaultdict

from .http_server import RecordedRequest, Reply
from .scripted_server import ScriptedServer


class WebhookReceiver(ScriptedServer):
    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()
        self._failures_left: dict[str, int] = defaultdict(int)
        self._always_failing: set[str] = set()

    def fail_first(self, path: str, times: int) -> None:
        with self._lock:
            self._failures_left[path] = times

    def always_fail(self, path: str) -> None:
        with self._lock:
            self._always_failing.add(path)

    def route(self, request: RecordedRequest) -> Reply:
        with self._lock:
            if request.path in self._always_failing:
                return Reply(500, "receiver is down")
            if self._failures_left[request.path] > 0:
                self._failures_left[request.path] -= 1
                return Reply(503, "try later")
        return Reply(200, {"ok": True})

    def received(self, path: str) -> list[RecordedRequest]:
        return [request for request in list(self.requests) if request.path == path]
