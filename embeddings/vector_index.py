"""Nearest-neighbour search over unit vectors: one small contract, FAISS backends behind it.

Like txtai's `ann` package: `VectorIndex` is the contract (build, add, search, vectors, save),
`create_vector_index` picks a backend by name, and each backend is a few lines. Ids are the row
numbers of the segment's paragraph (or sentence) table, so a hit maps straight to its text.

The index is the one copy of the vectors: retrieval reads a candidate's vector back from it
(`vectors`) rather than from a second file. HNSW keeps them as float16, half the bytes, which
changes no ranking measurably (docs/benchmarks.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

# Exact search costs about 6 ms per question at 22k vectors and 20 ms at 100k here, growing
# with the count; HNSW answers in about 1 ms with Recall@10 0.99+ of exact (docs/benchmarks.md).
# Paragraph and sentence vectors each choose by their own count.
APPROXIMATE_FROM = 20_000
HNSW_NEIGHBOURS = 32  # M: links per vector; more is better recall, more memory and build time
HNSW_BUILD_BREADTH = 80  # efConstruction; M 16 / 40 builds 3 times faster but lost recall at 1M
LARGE_FROM = 1_000_000


class VectorIndex(Protocol):
    kind: str

    def build(self, vectors: np.ndarray) -> None: ...
    def add(self, vectors: np.ndarray) -> None: ...
    def search(
        self, queries: np.ndarray, k: int, *, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...
    def vectors(self, rows: np.ndarray) -> np.ndarray: ...
    def save(self, path: Path) -> None: ...
    def __len__(self) -> int: ...


class FaissIndex:
    """A FAISS index whose ids are row numbers; inner product on unit vectors is cosine similarity."""

    def __init__(self, kind: str, index: faiss.Index) -> None:
        self.kind = kind
        self.index = index

    def build(self, vectors: np.ndarray) -> None:
        self.index.reset()
        if not self.index.is_trained:
            self.index.train(np.ascontiguousarray(vectors, dtype=np.float32))
        self.add(vectors)

    def add(self, vectors: np.ndarray) -> None:
        """Append vectors; they get the next row numbers."""
        if len(vectors):
            self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(
        self, queries: np.ndarray, k: int, *, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top `k` (scores, rows) per query; rows -1 pad missing hits. `allowed`: mask over rows."""
        k = min(k, len(self))
        if k <= 0:
            empty = np.zeros((len(queries), 0))
            return empty.astype(np.float32), empty.astype(np.int64)
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if allowed is None:
            return self.index.search(queries, k)
        bitmap = np.packbits(np.asarray(allowed, dtype=bool), bitorder="little")
        selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bitmap))
        if self.kind == "hnsw":
            params = faiss.SearchParametersHNSW(sel=selector)
            params.efSearch = max(self.index.hnsw.efSearch, k)
        else:
            params = faiss.SearchParameters(sel=selector)
        return self.index.search(queries, k, params=params)

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors at `rows`, in that order."""
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        if not rows.size:
            return np.zeros((0, self.index.d), dtype=np.float32)
        return self.index.reconstruct_batch(rows)

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    def __len__(self) -> int:
        return int(self.index.ntotal)


def choose_kind(size: int) -> str:
    """Exact search while small, HNSW (no training, good recall) from `APPROXIMATE_FROM` on."""
    return "flat" if size < APPROXIMATE_FROM else "hnsw"


def search_breadth(size: int) -> int:
    """HNSW's efSearch for an index of `size` vectors: wider as the graph grows, to hold recall."""
    return 128 if size < 100_000 else 256 if size < LARGE_FROM else 384


def create_vector_index(kind: str, dimension: int, *, size: int = 0) -> FaissIndex:
    """A new, empty index of the named kind ('auto' chooses by `size`)."""
    if kind == "auto":
        kind = choose_kind(size)
    if kind == "flat":
        inner = faiss.IndexFlatIP(dimension)
    elif kind == "hnsw":
        inner = faiss.IndexHNSWSQ(dimension, faiss.ScalarQuantizer.QT_fp16, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = HNSW_BUILD_BREADTH
        inner.hnsw.efSearch = search_breadth(size)
    else:
        raise ValueError(f"unknown vector index kind {kind!r}: use auto, flat or hnsw")
    return FaissIndex(kind, inner)


def load_vector_index(path: Path) -> FaissIndex:
    """Read an index written by `FaissIndex.save`, memory-mapped where FAISS can."""
    try:
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError:
        index = faiss.read_index(str(path))
    return FaissIndex("hnsw" if isinstance(index, faiss.IndexHNSW) else "flat", index)
