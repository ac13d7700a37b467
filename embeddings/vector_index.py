"""Nearest-neighbour search over unit vectors: one small contract, FAISS backends behind it.

Like txtai's `ann` package: `VectorIndex` is the contract (build, add, remove, search, save,
load), `create_vector_index` picks a backend by name, and each backend is a few lines. Ids are
the row numbers of the paragraph store, so a hit maps straight to its text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

# Exact search is fast enough below this many vectors; above it an approximate index pays.
APPROXIMATE_FROM = 200_000


class VectorIndex(Protocol):
    kind: str

    def build(self, vectors: np.ndarray) -> None: ...
    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None: ...
    def remove(self, ids: np.ndarray) -> None: ...
    def search(
        self, queries: np.ndarray, k: int, *, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...
    def save(self, path: Path) -> None: ...
    def __len__(self) -> int: ...


class FaissIndex:
    """Any FAISS index behind an id map; inner product on unit vectors is cosine similarity."""

    def __init__(self, kind: str, index: faiss.Index) -> None:
        self.kind = kind
        self.index = index

    def build(self, vectors: np.ndarray) -> None:
        self.index.reset()
        if not self.index.is_trained:
            self.index.train(vectors)
        self.add(vectors, np.arange(len(vectors), dtype=np.int64))

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        if len(vectors):
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))

    def remove(self, ids: np.ndarray) -> None:
        self.index.remove_ids(ids.astype(np.int64))

    def search(
        self, queries: np.ndarray, k: int, *, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top `k` (scores, ids) per query; ids -1 pad missing hits. `allowed`: mask over ids."""
        k = min(k, len(self))
        if k <= 0:
            empty = np.zeros((len(queries), 0))
            return empty.astype(np.float32), empty.astype(np.int64)
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if allowed is None:
            return self.index.search(queries, k)
        bitmap = np.packbits(np.asarray(allowed, dtype=bool), bitorder="little")
        selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bitmap))
        params = (
            faiss.SearchParametersHNSW(sel=selector) if self.kind == "hnsw" else faiss.SearchParameters(sel=selector)
        )
        if self.kind == "hnsw":
            params.efSearch = max(128, k)
        return self.index.search(queries, k, params=params)

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    def __len__(self) -> int:
        return int(self.index.ntotal)


def choose_kind(size: int) -> str:
    """Exact search while small, HNSW (no training, good recall) above `APPROXIMATE_FROM`."""
    return "flat" if size < APPROXIMATE_FROM else "hnsw"


def create_vector_index(kind: str, dimension: int, *, size: int = 0) -> FaissIndex:
    """A new, empty index of the named kind ('auto' chooses by `size`)."""
    if kind == "auto":
        kind = choose_kind(size)
    if kind == "flat":
        inner = faiss.IndexFlatIP(dimension)
    elif kind == "hnsw":
        inner = faiss.IndexHNSWFlat(dimension, 32, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = 80
        inner.hnsw.efSearch = 128
    else:
        raise ValueError(f"unknown vector index kind {kind!r}: use auto, flat or hnsw")
    return FaissIndex(kind, faiss.IndexIDMap2(inner))


def load_vector_index(path: Path, kind: str) -> FaissIndex:
    """Read an index written by `FaissIndex.save`, memory-mapped where FAISS can."""
    try:
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError:
        index = faiss.read_index(str(path))
    return FaissIndex(kind, index)
