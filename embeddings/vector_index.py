"""Nearest-neighbour search over unit vectors: one small contract, FAISS backends behind it.

Like txtai's `ann` package: `VectorIndex` is the contract (build, add, search, vectors, save),
`create_vector_index` picks a backend by name, and each backend is a few lines. Ids are the row
numbers of the segment's paragraph (or sentence) table, so a hit maps straight to its text.

Retrieval reads a candidate's vector back from the index (`vectors`). Exact search and HNSW hold
the one copy of the vectors, HNSW as float16, half the bytes, which changes no ranking measurably
(docs/benchmarks.md). From a million vectors on, an inverted-file index (IVF) of 4-bit codes:
FAISS memory-maps its lists, so it opens at once and only the lists a question probes are read
from disk, where a large HNSW graph must be read whole first. Its best hits are scored again on
float16 copies of their vectors, in row order in a file beside it and read a few rows at a time:
the 4-bit codes only have to find them, and those rows are what `vectors` reads back.
"""

from __future__ import annotations

import math
import os
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
LARGE_FROM = 1_000_000  # from here: IVF, memory-mapped, instead of HNSW read whole at start
VECTORS_PER_LIST = 64  # IVF: at least this many vectors a list on average
TRAINING_PER_LIST = 64  # IVF: k-means trains on this many vectors a list (a sample), not on all
PROBED_SHARE = 1 / 32  # IVF: share of the lists a question probes
RESCORED = 2  # IVF: k hits asked for, this many times k are scored again on float16 vectors


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
        elif self.kind == "ivf":
            params = faiss.SearchParametersIVF(sel=selector, nprobe=self.index.nprobe)
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


class StoredRows:
    """Vectors in row order in an .npy file, read a few rows at a time (`stored[rows]`) with pread:
    memory-mapped, each row read would map the 64 KB around it into the process (the kernel's
    fault-around), which would grow towards the whole file as questions are asked."""

    descriptor = -1  # none open yet

    def __init__(self, path: Path) -> None:
        self.descriptor = os.open(path, os.O_RDONLY)
        with open(self.descriptor, "rb", closefd=False) as file:
            major, _ = np.lib.format.read_magic(file)
            read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
            self.shape, _, self.dtype = read_header(file)
            self.offset = file.tell()
        self.row_bytes = self.shape[1] * self.dtype.itemsize

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), self.shape[1]), dtype=self.dtype)
        order = np.argsort(rows, kind="stable")
        ascending = rows[order]
        for run in np.split(np.arange(len(rows)), np.flatnonzero(np.diff(ascending) != 1) + 1):
            if len(run):  # consecutive rows (a paragraph's sentences) in one read
                start = self.offset + int(ascending[run[0]]) * self.row_bytes
                data = os.pread(self.descriptor, len(run) * self.row_bytes, start)
                out[order[run]] = np.frombuffer(data, dtype=self.dtype).reshape(len(run), self.shape[1])
        return out

    def __len__(self) -> int:
        return self.shape[0]

    def __del__(self) -> None:
        if self.descriptor >= 0:
            os.close(self.descriptor)


class RescoredIvfIndex(FaissIndex):
    """IVF over 4-bit codes whose hits are scored again on float16 vectors (`rows`, row order),
    which `vectors` reads back too. Saved as the FAISS file and `<file>.f16.npy` beside it."""

    def __init__(self, index: faiss.IndexIVF, rows: np.ndarray | StoredRows | None = None) -> None:
        super().__init__("ivf", index)
        self.rows = np.zeros((0, index.d), np.float16) if rows is None else rows

    def add(self, vectors: np.ndarray) -> None:
        super().add(vectors)
        self.rows = np.concatenate([self.rows, np.asarray(vectors, dtype=np.float16)])

    def build(self, vectors: np.ndarray) -> None:
        self.rows = np.zeros((0, self.index.d), np.float16)
        super().build(vectors)

    def search(
        self, queries: np.ndarray, k: int, *, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        _, found = super().search(queries, k * RESCORED, allowed=allowed)
        k = min(k, found.shape[1])
        scores = np.full((len(found), k), -np.inf, dtype=np.float32)
        best = np.full((len(found), k), -1, dtype=np.int64)
        for i, (query, rows) in enumerate(zip(np.asarray(queries, dtype=np.float32), found, strict=True)):
            rows = rows[rows >= 0]
            exact = self.vectors(rows) @ query
            order = np.argsort(-exact, kind="stable")[:k]
            scores[i, : len(order)], best[i, : len(order)] = exact[order], rows[order]
        return scores, best

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.rows[np.asarray(rows, dtype=np.int64)], dtype=np.float32)

    def save(self, path: Path) -> None:
        super().save(path)
        np.save(rescoring_file(path), self.rows)


def rescoring_file(path: Path) -> Path:
    return path.with_name(path.name + ".f16.npy")


def choose_kind(size: int) -> str:
    """Exact search while small, HNSW (no training, good recall) from `APPROXIMATE_FROM` on, IVF
    (memory-mapped) from `LARGE_FROM` on."""
    return "flat" if size < APPROXIMATE_FROM else "hnsw" if size < LARGE_FROM else "ivf"


def search_breadth(size: int) -> int:
    """HNSW's efSearch for an index of `size` vectors: wider as the graph grows, to hold recall."""
    return 128 if size < 100_000 else 256 if size < LARGE_FROM else 384


def list_count(size: int) -> int:
    """IVF's number of lists for `size` vectors: about 4 x sqrt(size), a power of two, each list
    holding `VECTORS_PER_LIST` or more."""
    return max(1, min(size // VECTORS_PER_LIST, 2 ** round(math.log2(4 * math.sqrt(max(size, 1))))))


def probe_count(lists: int) -> int:
    """IVF's lists probed a question: set when an index is opened too, so a retuned share reaches
    indexes written before."""
    return max(1, round(lists * PROBED_SHARE))


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
    elif kind == "ivf":
        lists = list_count(size)
        inner = faiss.IndexIVFScalarQuantizer(
            faiss.IndexFlatIP(dimension), dimension, lists, faiss.ScalarQuantizer.QT_4bit, faiss.METRIC_INNER_PRODUCT
        )
        inner.by_residual = False  # one 4-bit range per dimension for all lists: no per-list residuals to add back
        inner.cp.max_points_per_centroid = TRAINING_PER_LIST
        inner.nprobe = probe_count(lists)
        return RescoredIvfIndex(inner)
    else:
        raise ValueError(f"unknown vector index kind {kind!r}: use auto, flat, hnsw or ivf")
    return FaissIndex(kind, inner)


def load_vector_index(path: Path) -> FaissIndex:
    """Read an index written by `FaissIndex.save`, memory-mapped where FAISS can."""
    try:
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError:
        index = faiss.read_index(str(path))
    if isinstance(index, faiss.IndexIVF):
        index.nprobe = probe_count(index.nlist)
        return RescoredIvfIndex(index, StoredRows(rescoring_file(path)))
    return FaissIndex("hnsw" if isinstance(index, faiss.IndexHNSW) else "flat", index)
