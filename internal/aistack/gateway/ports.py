"""Serves each system on its own port, as the document lists them ("服务端口"): a request that
arrived on a system's port is the same request under `/aistack/<system>` on the main server.
One process, one application: the server binds every port and this WSGI middleware rewrites
the path by the port the connection came in on."""

from collections.abc import Callable, Iterable

from internal.aistack.systems import SYSTEMS_BY_NAME


class PortDispatcher:
    def __init__(self, wsgi_app: Callable, port_map: dict[int, str]):
        self.wsgi_app = wsgi_app
        unknown = set(port_map.values()) - set(SYSTEMS_BY_NAME)
        if unknown:
            raise ValueError(f"AISTACK_PORTS names unknown systems: {', '.join(sorted(unknown))}")
        self.prefixes = {str(port): SYSTEMS_BY_NAME[name].prefix for port, name in port_map.items()}

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        prefix = self.prefixes.get(environ.get("SERVER_PORT", ""))
        if prefix is not None:
            environ["PATH_INFO"] = prefix + (environ.get("PATH_INFO") or "/")
        return self.wsgi_app(environ, start_response)
