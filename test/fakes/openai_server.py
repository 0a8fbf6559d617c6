"""Plays an OpenAI-compatible API under {url}/v1 with a bearer key, recording every request.

Endpoints are entries of `routes` ("METHOD /path" -> handler), so a new one (chat completions,
audio) is a method plus one line in `__init__`. Tests script failures with `fail_next`.
Implemented: POST /v1/embeddings, with deterministic vectors (`fake_embedding`).
"""

import base64
import hashlib
import math
import re
import struct
import threading
import time
from collections import deque
from collections.abc import Callable

from .http_server import FakeServer, RecordedRequest, Reply

DEFAULT_DIMENSIONS = 256
_TOKEN = re.compile(r"[a-z0-9]+|[^\W\d_a-z]", re.IGNORECASE)


def fake_embedding(text: str, dimensions: int = DEFAULT_DIMENSIONS) -> list[float]:
    """A hashed bag of words (single characters for CJK), L2-normalised: texts sharing words
    are similar, identical texts are identical, and anything is reproducible in a test."""
    vector = [0.0] * dimensions
    for token in _TOKEN.findall(text.lower()):
        digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "little") % dimensions
        vector[index] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(value * value for value in vector))
    if norm == 0:
        vector[0], norm = 1.0, 1.0  # empty text: still a unit vector, as real models return
    return [value / norm for value in vector]


def error_body(message: str, type_: str = "invalid_request_error", code: str | None = None) -> dict:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


class FakeOpenAI(FakeServer):
    def __init__(self, api_key: str = "sk-test-fake-openai", dimensions: int = DEFAULT_DIMENSIONS):
        super().__init__()
        self.api_key = api_key
        self.dimensions = dimensions
        self.routes: dict[str, Callable[[RecordedRequest], Reply]] = {
            "POST /v1/embeddings": self.embeddings,
        }
        self._scripted: deque[tuple[str, Reply, float]] = deque()
        self._scripted_lock = threading.Lock()

    @property
    def api_base(self) -> str:
        return self.url + "/v1"

    # -- scripting ----------------------------------------------------------------------

    def fail_next(self, route: str, status: int, message: str = "scripted failure", delay: float = 0.0) -> None:
        """The next request to `route` ("POST /v1/embeddings") gets this error, after `delay` seconds."""
        error_type = {401: "invalid_request_error", 429: "rate_limit_exceeded"}.get(status, "server_error")
        self.reply_next(route, Reply(status, error_body(message, error_type)), delay)

    def reply_next(self, route: str, reply: Reply, delay: float = 0.0) -> None:
        with self._scripted_lock:
            self._scripted.append((route, reply, delay))

    def requests_to(self, route: str) -> list[RecordedRequest]:
        method, path = route.split(" ", 1)
        return [request for request in self.requests if request.method == method and request.path == path]

    # -- dispatch -----------------------------------------------------------------------

    def route(self, request: RecordedRequest) -> Reply:
        key = f"{request.method} {request.path}"
        handler = self.routes.get(key)
        if handler is None:
            return Reply(404, error_body(f"Unknown request URL: {key}", code="unknown_url"))
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply(401, error_body("Incorrect API key provided.", code="invalid_api_key"))
        scripted = self._take_scripted(key)
        if scripted is not None:
            reply, delay = scripted
            time.sleep(delay)
            return reply
        return handler(request)

    def _take_scripted(self, key: str) -> tuple[Reply, float] | None:
        with self._scripted_lock:
            for i, (route, reply, delay) in enumerate(self._scripted):
                if route == key:
                    del self._scripted[i]
                    return reply, delay
        return None

    # -- endpoints ----------------------------------------------------------------------

    def embeddings(self, request: RecordedRequest) -> Reply:
        body = request.json() or {}
        inputs = body.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if not body.get("model"):
            return Reply(400, error_body("you must provide a model parameter"))
        if not isinstance(inputs, list) or not inputs or not all(isinstance(text, str) for text in inputs):
            # Token-id arrays are valid for OpenAI, but the product must send plain strings.
            return Reply(400, error_body("'input' must be a string or a non-empty list of strings"))
        dimensions = body.get("dimensions") or self.dimensions
        base64_format = body.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(inputs):
            vector = fake_embedding(text, dimensions)
            if base64_format:
                encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
                data.append({"object": "embedding", "index": index, "embedding": encoded})
            else:
                data.append({"object": "embedding", "index": index, "embedding": vector})
        tokens = sum(len(_TOKEN.findall(text)) for text in inputs)
        return Reply(
            200,
            {"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": tokens, "total_tokens": tokens}},
        )
