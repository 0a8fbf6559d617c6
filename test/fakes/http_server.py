"""A threaded local HTTP server for fakes of external services, recording what it receives.

A `Reply.body` that is an iterator of byte chunks is streamed with chunked transfer encoding,
each chunk written as soon as it is produced; raising `DropConnection` from it cuts the stream.
"""

import json
import socket
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# The client went away; the handler just stops.
_HANG_UPS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class DropConnection(Exception):
    """Raised from a streamed body: close the connection without finishing the response."""


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    def json(self):
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int = 200
    # bytes/str/JSON are sent whole with a Content-Length; an iterator of bytes is streamed.
    body: bytes | str | dict | list | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)


class _NoDelayServer(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self):
        # Without TCP_NODELAY, Nagle's algorithm delays small streamed writes by ~40 ms.
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()


class FakeServer:
    """Subclasses implement `route(request) -> Reply`."""

    def __init__(self):
        self.requests: list[RecordedRequest] = []
        self._requests_lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle(self):
                try:
                    super().handle()
                except _HANG_UPS:
                    self.close_connection = True

            def _handle(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                recorded = RecordedRequest(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                with fake._requests_lock:
                    fake.requests.append(recorded)
                reply = fake.route(recorded)
                body = reply.body
                headers = dict(reply.headers)
                if isinstance(body, (dict, list)):
                    body = json.dumps(body).encode()
                    headers.setdefault("Content-Type", "application/json")
                elif isinstance(body, str):
                    body = body.encode()
                if not isinstance(body, (bytes, bytearray)):
                    self._stream(reply.status, headers, iter(body))
                    return
                self.send_response(reply.status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _stream(self, status: int, headers: dict[str, str], chunks: Iterator[bytes]):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.flush()
                try:
                    for chunk in chunks:
                        if isinstance(chunk, str):
                            chunk = chunk.encode()
                        if chunk:  # an empty chunk would end the body
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                            self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except (DropConnection, *_HANG_UPS):
                    self.close_connection = True
                finally:
                    close = getattr(chunks, "close", None)
                    if close is not None:
                        close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self.server = _NoDelayServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, request: RecordedRequest) -> Reply:
        raise NotImplementedError

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
