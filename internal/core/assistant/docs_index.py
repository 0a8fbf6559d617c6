"""The assistant's knowledge: the Markdown files in `docs/`, cut at their `##` sections (long
sections split again by tokens), embedded once and searched by cosine similarity.

The index is one file, STORAGE_DIR/assistant_docs/<fingerprint>.npz, where the fingerprint
hashes the documents, the cutting rule and the embedding model: editing a document builds a new
index on first use, an unchanged one is only read. Every account and process shares it. A
process builds at most once (a lock); processes that build at the same time write identical
files and each publishes its own with an atomic rename, so a reader never sees half a file.
"""

import hashlib
import json
import logging
import os
import re
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from internal.core.text_processing.splitter import DEFAULT_SEPARATORS, split_text

logger = logging.getLogger(__name__)

DOCS_DIR = Path(__file__).resolve().with_name("docs")
CHUNK_SIZE = 400
CHUNK_OVERLAP = 40
# Bump when the way passages are cut or stored changes.
INDEX_FORMAT = 1

_SECTION = re.compile(r"^## ", re.MULTILINE)


@dataclass(frozen=True)
class DocPassage:
    source: str  # the document's file name
    title: str  # "<document title> › <section>"
    content: str
    score: float


def read_passages(docs_dir: Path = DOCS_DIR) -> list[tuple[str, str, str]]:
    """(file name, title, text) of every passage of the documents, in file order."""
    passages = []
    for path in sorted(docs_dir.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        head, *sections = _SECTION.split(text)
        doc_title = head.strip().splitlines()[0].lstrip("# ").strip() if head.strip() else path.stem
        intro = "\n".join(head.strip().splitlines()[1:]).strip()
        parts = ([(doc_title, intro)] if intro else []) + [
            (f"{doc_title} › {section.splitlines()[0].strip()}", "\n".join(section.splitlines()[1:]).strip())
            for section in sections
        ]
        for title, body in parts:
            for chunk in split_text(body, DEFAULT_SEPARATORS, CHUNK_SIZE, CHUNK_OVERLAP):
                passages.append((path.name, title, chunk))
    return passages


class DocsIndex:
    def __init__(self, index_dir: Path, embeddings: Embeddings, model_name: str, docs_dir: Path = DOCS_DIR):
        self.index_dir = index_dir
        self.embeddings = embeddings
        self.model_name = model_name
        self.docs_dir = docs_dir
        self._lock = threading.Lock()
        self._loaded: tuple[list[tuple[str, str, str]], np.ndarray] | None = None

    def search(self, query: str, k: int = 4, score_threshold: float = 0.0) -> list[DocPassage]:
        """The `k` passages most similar to the query, best first."""
        passages, vectors = self._index()
        if not passages or not query.strip():
            return []
        query_vector = np.asarray(self.embeddings.embed_query(query), dtype=np.float32)
        scores = vectors @ (query_vector / (np.linalg.norm(query_vector) or 1.0))
        best = np.argsort(-scores)[:k]
        return [
            DocPassage(passages[i][0], passages[i][1], passages[i][2], float(max(0.0, min(1.0, scores[i]))))
            for i in best
            if scores[i] >= score_threshold
        ]

    def _index(self) -> tuple[list[tuple[str, str, str]], np.ndarray]:
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load_or_build()
            return self._loaded

    def _load_or_build(self) -> tuple[list[tuple[str, str, str]], np.ndarray]:
        passages = read_passages(self.docs_dir)
        fingerprint = hashlib.sha256(
            json.dumps([INDEX_FORMAT, self.model_name, CHUNK_SIZE, CHUNK_OVERLAP, passages], ensure_ascii=False).encode()
        ).hexdigest()[:32]
        path = self.index_dir / f"{fingerprint}.npz"
        if path.is_file():
            with np.load(path, allow_pickle=False) as stored:
                return passages, stored["vectors"]
        vectors = self._embed(passages)
        self.index_dir.mkdir(parents=True, exist_ok=True)
        partial = self.index_dir / f".{fingerprint}.{uuid.uuid4().hex}.npz"
        with open(partial, "wb") as file:
            np.savez(file, vectors=vectors)
        os.replace(partial, path)
        self._remove_stale(path)
        logger.info("Indexed %d passages of the assistant's documentation into %s", len(passages), path)
        return passages, vectors

    def _embed(self, passages: list[tuple[str, str, str]]) -> np.ndarray:
        if not passages:
            return np.empty((0, 0), dtype=np.float32)
        vectors = np.asarray(
            self.embeddings.embed_documents([f"{title}\n{text}" for _, title, text in passages]), dtype=np.float32
        )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1.0, norms)

    def _remove_stale(self, current: Path) -> None:
        """Indexes of earlier documentation; a process still reading one has it in memory."""
        for old in self.index_dir.glob("*.npz"):
            if old != current:
                old.unlink(missing_ok=True)
