"""Question in, ranked passages out: dense and keyword search fused into one ranking.

Candidates come from three searches (paragraph vectors, sentence vectors, BM25); each candidate
is then scored exactly on three features and ranked by their weighted sum:
- paragraph similarity: cosine of the question and the whole paragraph;
- best-sentence similarity: the highest cosine of the question and one of its sentences,
  since a question usually targets one sentence;
- keyword score: BM25, divided by the best BM25 score for this question.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from embeddings.encoder import Encoder
from embeddings.index import CURRENT, Index, open_index
from embeddings.store import StoredParagraph

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "bm25")


@dataclass(frozen=True)
class FusionWeights:
    """Weights of the three features in the hybrid score."""

    paragraph: float = 0.45
    sentence: float = 0.55
    keyword: float = 0.35


@dataclass(frozen=True)
class Candidate:
    """A retrieved paragraph with its features and fused score."""

    paragraph: StoredParagraph
    score: float
    paragraph_similarity: float
    sentence_similarities: np.ndarray  # one per sentence of the paragraph, in order
    keyword_score: float


def fused_scores(
    paragraph_similarity: np.ndarray,
    sentence_similarity: np.ndarray,
    keyword_score: np.ndarray,
    *,
    weights: FusionWeights,
    mode: Mode,
) -> np.ndarray:
    """The ranking score of each candidate under `mode` (features as in the module docstring)."""
    if mode == "bm25":
        return keyword_score
    if mode == "dense":
        return paragraph_similarity
    return (
        weights.paragraph * paragraph_similarity
        + weights.sentence * sentence_similarity
        + weights.keyword * keyword_score
    )


class Retriever:
    """Searches the live generation of an index; picks up a rebuilt index without a restart."""

    def __init__(
        self,
        index_dir: Path,
        *,
        encoder: Encoder | None = None,
        weights: FusionWeights | None = None,
        candidates: int = 50,
    ) -> None:
        self.index_dir = index_dir
        self.encoder = encoder or Encoder()
        self.weights = weights or FusionWeights()
        self.candidates = candidates
        self._lock = threading.Lock()
        self._pointer: str | None = None
        self._index: Index | None = None
        self.current_index()  # open now: a missing or unusable index is reported at start, not at a question

    def current_index(self) -> Index:
        """The live generation, reopened when a build has published a new one."""
        try:
            pointer = (self.index_dir / CURRENT).read_text()
        except FileNotFoundError:
            pointer = None
        with self._lock:
            if self._index is None or pointer != self._pointer:
                self._index = open_index(self.index_dir, model=self.encoder.model_name)
                self._pointer = pointer
            return self._index

    def encode_question(self, question: str) -> np.ndarray:
        return self.encoder.encode([question])[0]

    def search(
        self, question: str, *, k: int = 5, mode: Mode = "hybrid", question_vector: np.ndarray | None = None
    ) -> list[Candidate]:
        """The `k` best paragraphs for the question, best first."""
        index = self.current_index()
        if index.manifest.paragraphs == 0:
            return []
        vector = self.encode_question(question) if question_vector is None else question_vector
        keyword_all = index.keywords.scores(question) if mode != "dense" else None
        rows = self._candidate_rows(index, vector, keyword_all, mode, max(k, self.candidates))
        if not rows.size:
            return []
        paragraphs = index.store.paragraphs(rows)
        paragraph_similarity = np.asarray(index.paragraph_vectors[rows] @ vector, dtype=np.float32)
        sentence_similarities = [
            np.asarray(index.sentence_vectors[p.sentence_rows.start : p.sentence_rows.stop] @ vector)
            for p in paragraphs
        ]
        best_sentence = np.array([s.max() if s.size else 0.0 for s in sentence_similarities], dtype=np.float32)
        if keyword_all is not None and keyword_all.size:
            top = float(keyword_all.max())
            keyword = keyword_all[rows] / top if top > 0 else np.zeros(len(rows), dtype=np.float32)
        else:
            keyword = np.zeros(len(rows), dtype=np.float32)
        scores = fused_scores(paragraph_similarity, best_sentence, keyword, weights=self.weights, mode=mode)
        order = np.argsort(-scores, kind="stable")[:k]
        return [
            Candidate(
                paragraph=paragraphs[i],
                score=float(scores[i]),
                paragraph_similarity=float(paragraph_similarity[i]),
                sentence_similarities=sentence_similarities[i],
                keyword_score=float(keyword[i]),
            )
            for i in order
        ]

    def _candidate_rows(
        self, index: Index, vector: np.ndarray, keyword_all: np.ndarray | None, mode: Mode, n: int
    ) -> np.ndarray:
        """Union of the top `n` of each search the mode uses."""
        found: list[np.ndarray] = []
        if mode != "bm25":
            _, ids = index.paragraph_index.search(vector[None, :], n)
            found.append(ids[0])
        if mode == "hybrid":
            _, ids = index.sentence_index.search(vector[None, :], 2 * n)
            found.append(np.asarray(index.sentence_owner)[ids[0][ids[0] >= 0]])
        if keyword_all is not None and keyword_all.size:
            top = min(n, keyword_all.size)
            best = np.argpartition(-keyword_all, top - 1)[:top]
            found.append(best[keyword_all[best] > 0])
        rows = np.unique(np.concatenate(found).astype(np.int64)) if found else np.zeros(0, np.int64)
        return rows[rows >= 0]
