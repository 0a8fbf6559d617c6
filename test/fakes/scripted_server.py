"""A local HTTP server whose replies a test scripts, bound to any loopback address (127.0.0.x, ::1)."""

import socket
import sys
import threading
from collections.abc import Callable

from .http_server import FakeServer, RecordedRequest, Reply, _NoDelayServer


class _NoDelayServerV6(_NoDelayServer):
    address_family = socket.AF_INET6


def _ignore_hang_ups(handle_error):
    def handle(request, client_address):
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            handle_error(request, client_address)

    return handle


class ScriptedServer(FakeServer):
    """Answers every request with `route(request)`; by default an empty 200."""

    def __init__(self, route: Callable[[RecordedRequest], Reply] | None = None, host: str = "127.0.0.1"):
        super().__init__()
        self._route = route or (lambda _request: Reply(200, b""))
        if host != "127.0.0.1":
            handler = self.server.RequestHandlerClass
            self.server.server_close()
            server_class = _NoDelayServerV6 if ":" in host else _NoDelayServer
            self.server = server_class((host, 0), handler)
        # A short poll keeps stop() quick; tests start many of these servers.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        # Clients that hang up early are what timeout and size-limit tests are about; stay quiet.
        self.server.handle_error = _ignore_hang_ups(self.server.handle_error)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def route(self, request: RecordedRequest) -> Reply:
        return self._route(request)
