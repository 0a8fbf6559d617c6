"""gunicorn settings for production: `gunicorn -c app/http/gunicorn_conf.py app.http.app:app`
binds the platform API's port and every AI Stack system's port (AISTACK_PORTS) in one server;
the application tells the systems apart by the port a request came in on. Workers and threads
can be changed with GUNICORN_CMD_ARGS (e.g. "--workers 4 --threads 64")."""

from config import Settings

_settings = Settings()
_host = _settings.server.server_host

bind = [f"{_host}:{_settings.server.server_port}"] + [f"{_host}:{port}" for port in _settings.aistack.port_map]
workers = 2
# Threads keep many SSE streams open per worker process.
worker_class = "gthread"
threads = 32
timeout = 600
graceful_timeout = 30
