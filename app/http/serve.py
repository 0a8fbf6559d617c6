"""Development server for everything: `python -m app.http.serve` serves the platform API on
SERVER_PORT and each AI Stack system on its port (AISTACK_PORTS) from one process and one
application (production: `gunicorn -c app/http/gunicorn_conf.py app.http.app:app`)."""

import logging
import threading

from werkzeug.serving import make_server

from app.http.app import app
from config import Settings

logger = logging.getLogger(__name__)


def main() -> None:
    settings = Settings()
    ports = [settings.server.server_port, *settings.aistack.port_map]
    servers = [make_server(settings.server.server_host, port, app, threaded=True) for port in ports]
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    names = settings.aistack.port_map
    for port in ports:
        logger.warning("Serving on http://%s:%s %s", settings.server.server_host, port, names.get(port, "(platform API)"))
    try:
        servers[0].serve_forever()
    except KeyboardInterrupt:
        pass  # the other servers' threads end with the process


if __name__ == "__main__":
    main()
