"""One dataset's vectors on disk, readable while another thread or process writes them.

A collection folder holds immutable parts (a float32 matrix and the rows' segment and document
ids), a per-version state file (one flag byte per row: live, enabled) and `manifest.json`,
which names the parts and state of the current version. Every file is written under a
temporary name and renamed into place, the manifest last, so a reader sees either the old
version or the new one, never a half-written file. Writers hold the dataset's lock; readers
take no lock and reload when the manifest names another version.
"""

import json
import os
import secrets
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

MANIFEST = "manifest.json"
TEMP_PREFIX = ".tmp-"
LIVE = 1
ENABLED = 2
USABLE = LIVE | ENABLED
ID_DTYPE = np.dtype("V16")  # a UUID's 16 bytes
# Parts up to this size are read into memory; bigger ones are memory-mapped, so processes
# share their pages and a restart does not read the whole file before the first search.
MMAP_MIN_BYTES = 16 * 1024 * 1024
# Deleted rows stay in their part (flagged dead) until they are this share of all rows.
MAX_DEAD_SHARE = 0.25
MAX_PARTS = 32
# Temporary files this old were left by a writer that crashed.
STALE_TEMP_SECONDS = 600
# Tolerance for float32 rounding: an identical vector scores 0.99999994, and should pass 1.0.
SCORE_EPSILON = 1e-6


class VectorDimensionError(ValueError):
    """Vectors of another length than the collection's: the embedding model changed."""


def ids_array(ids) -> np.ndarray:
    return np.frombuffer(b"".join(uuid_.bytes for uuid_ in ids), dtype=ID_DTYPE)


def normalized(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), so a dot product is the cosine."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.where(norms > 0, norms, 1)).astype(np.float32, copy=False)


class Part:
    """An immutable block of rows; its ids load eagerly, its vectors on first use."""

    def __init__(self, directory: Path, name: str, rows: int):
        self.directory = directory
        self.name = name
        self.rows = rows
        ids = np.load(directory / f"{name}.ids.npy")
        if ids.shape != (rows, 2):
            raise ValueError(f"vector store part {directory / name} holds {ids.shape[0]} rows, the manifest says {rows}")
        self.segment_ids = ids[:, 0]
        self.document_ids = ids[:, 1]
        self._vectors: np.ndarray | None = None

    @property
    def vectors(self) -> np.ndarray:
        if self._vectors is None:
            path = self.directory / f"{self.name}.vectors.npy"
            mmap = "r" if path.stat().st_size >= MMAP_MIN_BYTES else None
            self._vectors = np.load(path, mmap_mode=mmap)
        return self._vectors

    @staticmethod
    def files(name: str) -> tuple[str, str]:
        return f"{name}.vectors.npy", f"{name}.ids.npy"


@dataclass(frozen=True, eq=False)
class Snapshot:
    """One version of a collection: never changes once built."""

    collection_id: str = ""
    version: int = 0
    dimension: int | None = None
    parts: tuple[Part, ...] = ()
    flags: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))
    state_file: str = ""

    @property
    def key(self) -> tuple[str, int]:
        return self.collection_id, self.version

    @cached_property
    def offsets(self) -> list[int]:
        return np.cumsum([0] + [part.rows for part in self.parts]).tolist()

    @cached_property
    def segment_ids(self) -> np.ndarray:
        return np.concatenate([part.segment_ids for part in self.parts]) if self.parts else ids_array([])

    @cached_property
    def document_ids(self) -> np.ndarray:
        return np.concatenate([part.document_ids for part in self.parts]) if self.parts else ids_array([])

    def live_rows_of_segments(self, segment_ids: np.ndarray) -> np.ndarray:
        return np.isin(self.segment_ids, segment_ids) & (self.flags & LIVE).astype(bool)

    def live_rows_of_document(self, document_id: uuid.UUID) -> np.ndarray:
        return (self.document_ids == ids_array([document_id])[0]) & (self.flags & LIVE).astype(bool)

    def files(self) -> set[str]:
        names = {MANIFEST, self.state_file}
        for part in self.parts:
            names.update(Part.files(part.name))
        return names

    def search(
        self, query: np.ndarray, k: int, score_threshold: float, document_ids: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Scores and segment ids of up to `k` best usable rows (of `document_ids` only, if
        given), unordered."""
        if self.dimension is not None and query.shape[0] != self.dimension:
            raise VectorDimensionError(
                f"query vector has {query.shape[0]} dimensions, this dataset's vectors have {self.dimension}"
            )
        scores_found, ids_found = [], []
        for part, offset in zip(self.parts, self.offsets):
            usable = self.flags[offset : offset + part.rows] == USABLE
            if document_ids is not None:
                usable &= np.isin(part.document_ids, document_ids)
            if not usable.any():
                continue
            scores = part.vectors @ query
            if score_threshold > 0:
                usable &= scores >= score_threshold - SCORE_EPSILON
            rows = np.flatnonzero(usable)
            if rows.size > k:
                rows = rows[np.argpartition(scores[rows], -k)[-k:]]
            scores_found.append(scores[rows])
            ids_found.append(part.segment_ids[rows])
        if not scores_found:
            return np.zeros(0, dtype=np.float32), ids_array([])
        return np.concatenate(scores_found), np.concatenate(ids_found)


@dataclass
class Piece:
    """Rows of the next version: an existing part, or new arrays still to be written."""

    flags: np.ndarray
    part: Part | None = None
    vectors: np.ndarray | None = None
    ids: np.ndarray | None = None  # (rows, 2): segment id, document id

    @property
    def live_rows(self) -> int:
        return int(np.count_nonzero(self.flags & LIVE))

    def live(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        keep = (self.flags & LIVE).astype(bool)
        if self.part is not None:
            vectors = np.asarray(self.part.vectors)[keep]
            ids = np.stack([self.part.segment_ids[keep], self.part.document_ids[keep]], axis=1)
        else:
            vectors, ids = self.vectors[keep], self.ids[keep]
        return vectors, ids, self.flags[keep]


def merge(pieces: list[Piece]) -> Piece:
    vectors, ids, flags = zip(*(piece.live() for piece in pieces))
    return Piece(flags=np.concatenate(flags), vectors=np.concatenate(vectors), ids=np.concatenate(ids))


def compact(pieces: list[Piece]) -> list[Piece]:
    """Keep few parts and few dead rows at a low amortised cost.

    Parts merge like a binary counter (the newest two while the older is no bigger), so their
    sizes halve from oldest to newest and a row is rewritten O(log n) times; everything merges
    into one part once dead rows pile up.
    """
    pieces = [piece for piece in pieces if piece.live_rows]
    total = sum(piece.flags.size for piece in pieces)
    live = sum(piece.live_rows for piece in pieces)
    if total - live > MAX_DEAD_SHARE * total or len(pieces) > MAX_PARTS:
        return [merge(pieces)]
    pieces = list(pieces)
    while len(pieces) >= 2 and pieces[-2].live_rows <= pieces[-1].live_rows:
        pieces[-2:] = [merge(pieces[-2:])]
    return pieces


class Collection:
    """A dataset's folder: hands out the current snapshot and writes new versions."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._snapshot = Snapshot()
        self._parts: dict[str, Part] = {}
        self._load_lock = threading.Lock()

    # -- reading --------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The current version; a file removed by a concurrent writer means read again."""
        for _ in range(10):
            try:
                return self._current()
            except FileNotFoundError:
                time.sleep(0.005)
        return self._current()

    def _current(self) -> Snapshot:
        manifest = self._read_manifest()
        if manifest is None:
            if self._snapshot.parts:  # the dataset was deleted: let go of its vectors
                with self._load_lock:
                    self._snapshot, self._parts = Snapshot(), {}
            return Snapshot()
        if (manifest["collection"], manifest["version"]) == self._snapshot.key:
            return self._snapshot
        with self._load_lock:
            if (manifest["collection"], manifest["version"]) != self._snapshot.key:
                self._snapshot = self._load(manifest)
            return self._snapshot

    def _read_manifest(self) -> dict | None:
        try:
            with open(self.directory / MANIFEST, encoding="utf-8") as file:
                return json.load(file)
        except FileNotFoundError:
            return None

    def _load(self, manifest: dict) -> Snapshot:
        parts = []
        for entry in manifest["parts"]:
            part = self._parts.get(entry["name"])
            if part is None:
                part = Part(self.directory, entry["name"], entry["rows"])
            parts.append(part)
        self._parts = {part.name: part for part in parts}
        flags = np.load(self.directory / manifest["state"])
        flags.setflags(write=False)
        return Snapshot(
            collection_id=manifest["collection"],
            version=manifest["version"],
            dimension=manifest["dimension"],
            parts=tuple(parts),
            flags=flags,
            state_file=manifest["state"],
        )

    # -- writing (the caller holds the dataset's lock) ------------------------------------

    def pieces(self, snapshot: Snapshot) -> list[Piece]:
        return [
            Piece(flags=snapshot.flags[start:end].copy(), part=part)
            for part, start, end in zip(snapshot.parts, snapshot.offsets, snapshot.offsets[1:])
        ]

    def commit(self, base: Snapshot, pieces: list[Piece], dimension: int | None) -> None:
        """Write `pieces` as the version after `base` (compacted), or remove an empty collection."""
        if sum(piece.live_rows for piece in pieces) == 0:
            self.remove()
            return
        pieces = compact(pieces)
        self.directory.mkdir(parents=True, exist_ok=True)
        version = base.version + 1
        entries = []
        for piece in pieces:
            name = piece.part.name if piece.part is not None else self._write_part(version, piece)
            entries.append({"name": name, "rows": int(piece.flags.size)})
        state_file = f"state-{version:08d}-{secrets.token_hex(4)}.npy"
        _write_atomically(self.directory / state_file, lambda file: np.save(file, np.concatenate([p.flags for p in pieces])))
        manifest = {
            "collection": base.collection_id or uuid.uuid4().hex,
            "version": version,
            "dimension": dimension,
            "parts": entries,
            "state": state_file,
        }
        payload = json.dumps(manifest).encode()
        _write_atomically(self.directory / MANIFEST, lambda file: file.write(payload))
        self._remove_unreferenced(keep=base.files() | {state_file} | {f for e in entries for f in Part.files(e["name"])})

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def _write_part(self, version: int, piece: Piece) -> str:
        name = f"part-{version:08d}-{secrets.token_hex(4)}"
        vectors_file, ids_file = Part.files(name)
        _write_atomically(self.directory / ids_file, lambda file: np.save(file, np.ascontiguousarray(piece.ids)))
        _write_atomically(self.directory / vectors_file, lambda file: np.save(file, np.ascontiguousarray(piece.vectors)))
        return name

    def _remove_unreferenced(self, keep: set[str]) -> None:
        """Files of the previous version stay for readers that are loading it right now."""
        now = time.time()
        for entry in os.scandir(self.directory):
            if entry.name in keep:
                continue
            try:
                if entry.name.startswith(TEMP_PREFIX) and now - entry.stat().st_mtime < STALE_TEMP_SECONDS:
                    continue  # a writer that outlived its lock may still be writing it
                os.unlink(entry.path)
            except FileNotFoundError:
                pass


def _write_atomically(path: Path, write) -> None:
    temp = path.with_name(f"{TEMP_PREFIX}{secrets.token_hex(4)}-{path.name}")
    try:
        with open(temp, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
