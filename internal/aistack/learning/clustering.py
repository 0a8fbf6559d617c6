"""Topics of interactions: each text becomes its embedding joined with a hashed vector of its
jieba keywords (weighted so that the dot product of two texts is a blend of both similarities),
then texts are grouped around centroids (one pass opening a topic for a text near no centroid,
then a few k-means passes with the topics found) — numpy only, deterministic."""

import zlib
from dataclasses import dataclass

import numpy as np

from internal.core.text_processing.keywords import extract_keywords

KEYWORD_DIMENSIONS = 512
KEYWORDS_PER_TEXT = 8
# Share of the similarity the keywords carry; the rest is the embeddings'.
KEYWORD_WEIGHT = 0.3
REFINE_PASSES = 5


@dataclass
class Cluster:
    members: list[int]  # indexes of the texts, in input order


def text_keywords(text: str) -> list[str]:
    return extract_keywords(text, KEYWORDS_PER_TEXT)


def features(embeddings: np.ndarray, keywords: list[list[str]]) -> np.ndarray:
    """Unit rows: √(1-w)·embedding ⊕ √w·keyword vector, so a dot product is the blend."""
    semantic = _unit(np.asarray(embeddings, dtype=float))
    lexical = np.zeros((len(keywords), KEYWORD_DIMENSIONS))
    for row, words in enumerate(keywords):
        for word in words:
            lexical[row, zlib.crc32(word.encode()) % KEYWORD_DIMENSIONS] += 1.0
    lexical = _unit(lexical)
    has_words = np.linalg.norm(lexical, axis=1) > 0
    # A text without keywords is placed by its embedding alone.
    weight = np.where(has_words, KEYWORD_WEIGHT, 0.0)[:, None]
    return _unit(np.hstack([np.sqrt(1 - weight) * semantic, np.sqrt(weight) * lexical]))


def cluster(vectors: np.ndarray, threshold: float) -> list[Cluster]:
    """Groups of rows whose similarity to their group's centroid is at least `threshold`,
    largest first (ties: the group seen first)."""
    if len(vectors) == 0:
        return []
    centroids: list[np.ndarray] = []
    labels = np.zeros(len(vectors), dtype=int)
    for row, vector in enumerate(vectors):
        if centroids:
            similarity = np.asarray(centroids) @ vector
            best = int(similarity.argmax())
            if similarity[best] >= threshold:
                labels[row] = best
                centroids[best] = _centroid(vectors[: row + 1][labels[: row + 1] == best])
                continue
        labels[row] = len(centroids)
        centroids.append(vector.copy())
    for _ in range(REFINE_PASSES):
        matrix = np.asarray(centroids)
        new_labels = (vectors @ matrix.T).argmax(axis=1)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
        centroids = [_centroid(vectors[labels == k]) if np.any(labels == k) else matrix[k] for k in range(len(matrix))]
    groups = [Cluster([int(i) for i in np.flatnonzero(labels == k)]) for k in range(len(centroids))]
    groups = [group for group in groups if group.members]
    return sorted(groups, key=lambda group: (-len(group.members), group.members[0]))


def _centroid(rows: np.ndarray) -> np.ndarray:
    return _unit(rows.mean(axis=0, keepdims=True))[0]


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1)
