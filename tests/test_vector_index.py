"""The vector index backends on small synthetic vectors: what the build and the retriever rely on."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from embeddings import vector_index
from embeddings.vector_index import StoredRows, create_vector_index, load_vector_index


def unit_rows(count: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, 32)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_stored_rows_are_read_back_in_the_order_asked_repeats_and_runs_included(tmp_path: Path):
    vectors = unit_rows(50).astype(np.float16)
    np.save(tmp_path / "rows.npy", vectors)
    stored = StoredRows(tmp_path / "rows.npy")
    rows = np.array([7, 3, 4, 5, 5, 49, 0])
    np.testing.assert_array_equal(stored[rows], vectors[rows])
    assert len(stored) == 50 and stored[np.array([], dtype=np.int64)].shape == (0, 32)


def test_an_ivf_index_rescores_its_hits_and_reads_back_its_rows_after_saving(tmp_path: Path, monkeypatch):
    """Few lists probed, 4-bit codes: the hits it returns are scored on the float16 rows, so their
    scores and order are exact search's over the rows it found, and a saved index answers alike."""
    monkeypatch.setattr(vector_index, "PROBED_SHARE", 0.25)
    vectors, queries = unit_rows(2_000), unit_rows(20, seed=1)
    index = create_vector_index("ivf", 32, size=len(vectors))
    index.build(vectors)
    assert index.kind == "ivf" and index.index.nlist > 1 and index.index.nprobe < index.index.nlist
    index.save(tmp_path / "vectors.faiss")
    opened = load_vector_index(tmp_path / "vectors.faiss")
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    for searched in (index, opened):
        scores, rows = searched.search(queries, 10)
        rescored = np.einsum("qd,qkd->qk", queries, vectors[rows].astype(np.float16).astype(np.float32))
        np.testing.assert_allclose(scores, rescored, rtol=1e-5, atol=1e-5)
        assert (np.diff(scores, axis=1) <= 0).all()
        assert np.mean([len(set(e) & set(r)) / 10 for e, r in zip(exact, rows, strict=True)]) > 0.7
        np.testing.assert_allclose(searched.vectors(np.array([5, 1])), vectors[[5, 1]], atol=1e-3)
    allowed = np.zeros(len(vectors), dtype=bool)
    allowed[::2] = True
    _, rows = opened.search(queries, 5, allowed=allowed)
    assert (rows % 2 == 0).all()
