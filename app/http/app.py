"""WSGI entry point: `flask --app app.http.app run`, `gunicorn app.http.app:app`."""

import gc
import os

# Requests run concurrently on threads; a multi-threaded BLAS under each of them makes tiny
# matrix products (vector search, query embeddings) wait for thread wake-ups. Set before numpy loads.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from internal.server import create_app  # noqa: E402

app = create_app()

# What is loaded by now (libraries, catalogs, dictionaries) lives as long as the process. Kept
# out of the cyclic garbage collector's sight, a full collection takes a few milliseconds instead
# of ~170 ms during which every request and stream of the process stands still.
gc.freeze()
# A chat turn allocates a few thousand objects that reference counting frees again; at the
# default threshold (700) they set off ~3 young collections per turn for nothing.
gc.set_threshold(10_000)
