"""WSGI entry point: `flask --app app.http.app run`, `gunicorn app.http.app:app`."""

import os

# Requests run concurrently on threads; a multi-threaded BLAS under each of them makes tiny
# matrix products (vector search, query embeddings) wait for thread wake-ups. Set before numpy loads.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from internal.server import create_app  # noqa: E402

app = create_app()
