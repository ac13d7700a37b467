"""Question in, ranked passages out: dense and keyword search fused into one ranking.

Candidates are the union of three searches (paragraph vectors, sentence vectors, BM25). The
retriever reads what ranking needs about them (their vectors, their sentences' terms, their BM25
scores) into one `RankingInputs` record, from the index here or from its shards (qa/sharded.py);
qa/ranking.py turns it into each candidate's features and ranks them by their weighted sum, with
the weights the index's manifest records.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path

import numpy as np

from embeddings.articles import Article
from embeddings.encoder import DEFAULT_MODEL, TextEncoder, question_encoder
from embeddings.index import (
    CURRENT,
    FormatMismatch,
    Index,
    Manifest,
    RowsRead,
    SearchHits,
    current_generation,
    open_index,
)
from embeddings.keywords import KeywordQuery, term_pairs
from embeddings.store import StoredParagraph
from qa.ranking import FusionWeights, Mode, RankingInputs, feature_matrix, fused_scores, read_fusion_weights


@dataclass(frozen=True)
class Candidate:
    """A retrieved paragraph, its features, its fused score and its sentences' own scores."""

    paragraph: StoredParagraph
    score: float
    features: np.ndarray  # in qa.ranking.FEATURES order
    sentence_similarity: np.ndarray  # cosine with the question, one per sentence
    sentence_coverage: np.ndarray  # share of the question's weighted words, one per sentence


@dataclass(frozen=True)
class ArticleText:
    """A whole indexed article, to read a cited passage in its place."""

    article: Article
    paragraphs: list[StoredParagraph]


def built_with(index_dir: Path) -> str:
    """The embedding model the live index was built with, so questions are encoded by the same one."""
    folder = current_generation(index_dir)
    try:
        return DEFAULT_MODEL if folder is None else Manifest.read(folder).model
    except (OSError, ValueError, TypeError, KeyError, FormatMismatch):
        return DEFAULT_MODEL  # opening the index then says what is wrong


def ranking_inputs(
    question_vector: np.ndarray, query: KeywordQuery, read: RowsRead, best_keyword_score: float
) -> RankingInputs:
    """What ranking reads about the candidates `read`, for a question whose best BM25 is `best_keyword_score`."""
    paragraphs = read.paragraphs
    sentence_counts = [len(p.sentence_spans) for p in paragraphs]
    sentence_holds = np.array(
        [[term in words for term in query.weights] for p in paragraphs for words in p.sentence_terms], dtype=bool
    ).reshape(sum(sentence_counts), len(query.weights))
    return RankingInputs(
        question_vector=question_vector,
        paragraph_vectors=read.paragraph_vectors,
        sentence_vectors=read.sentence_vectors,
        sentence_bounds=np.cumsum([0, *sentence_counts]),
        sentence_holds=sentence_holds,
        term_weights=np.fromiter(query.weights.values(), dtype=np.float64, count=len(query.weights)),
        keyword_scores=read.keyword_scores,
        best_keyword_score=best_keyword_score,
        question_pairs=term_pairs(query.terms),
        sentence_pairs=tuple(pairs for p in paragraphs for pairs in p.sentence_bigrams),
    )


def return_freed_memory() -> None:
    """Hand memory freed inside the C allocator back to the system (glibc's `malloc_trim`).

    A generation's vectors are read into memory by whichever request thread opens it, so its
    freed pages stay in that thread's arena; without this a server that outlives many rebuilds
    keeps growing by about a generation each time. Elsewhere than glibc it does nothing.
    """
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return


class Retriever:
    """Searches the live generation of an index; picks up a rebuilt index without a restart."""

    def __init__(
        self,
        index_dir: Path,
        *,
        encoder: TextEncoder | None = None,
        weights: FusionWeights | None = None,
        candidates: int = 40,
    ) -> None:
        self.index_dir = index_dir
        self.encoder = encoder or question_encoder(built_with(index_dir))
        self.weights = weights  # None: the weights the index's manifest records
        self.candidates = candidates
        self._lock = threading.Lock()
        self._pointer: str | None = None
        self._index: Index | None = None
        self._retired: list[Index] = []  # replaced generations, open while a question still reads them
        self.current_index()  # open now: a missing or unusable index is reported at start, not at a question

    def current_index(self) -> Index:
        """The live generation, reopened when a build has published a new one."""
        try:
            pointer = (self.index_dir / CURRENT).read_text()
        except FileNotFoundError:
            pointer = None
        with self._lock:
            if self._index is None or pointer != self._pointer:
                if self._index is not None:
                    self._retired.append(self._index)
                self._index = open_index(self.index_dir, model=self.encoder.model_name)
                self._pointer = pointer
            if self._retired:
                self._close_unused_retired()
            return self._index

    def _close_unused_retired(self) -> None:
        """Close the replaced generations no question is reading any more.

        Their SQLite connections sit in reference cycles, so without this their files stay open
        until the garbage collector happens by. Referenced here only by the list, the loop and
        `getrefcount`'s own argument, an index is unused.
        """
        in_use = []
        for index in self._retired:
            if sys.getrefcount(index) > 3:
                in_use.append(index)
            else:
                index.close()
        if len(in_use) < len(self._retired):
            self._retired = in_use
            return_freed_memory()

    def search(
        self,
        question: str,
        *,
        k: int = 5,
        mode: Mode = "hybrid",
        question_vector: np.ndarray | None = None,
        allowed: np.ndarray | None = None,
        index: Index | None = None,
    ) -> list[Candidate]:
        """The `k` best paragraphs for the question, best first.

        `allowed`, a boolean mask over paragraph rows, restricts every search to those rows
        (inside the searches, so a restricted question still gets `k` passages when it can).
        `index` is the generation to search (the live one if None): the one `allowed` was made
        for, so a build published meanwhile cannot shift the rows under the mask.
        """
        index = self.current_index() if index is None else index
        candidates = self.candidates_for(
            question,
            pool=max(k, self.candidates),
            mode=mode,
            question_vector=question_vector,
            allowed=allowed,
            index=index,
        )
        if not candidates:
            return []
        scores = fused_scores(np.stack([c.features for c in candidates]), mode, self.fusion_weights(index))
        order = np.argsort(-scores, kind="stable")[:k]
        return [replace(candidates[i], score=float(scores[i])) for i in order]

    def candidates_for(
        self,
        question: str,
        *,
        pool: int,
        mode: Mode = "hybrid",
        question_vector: np.ndarray | None = None,
        allowed: np.ndarray | None = None,
        index: Index | None = None,
    ) -> list[Candidate]:
        """Unranked candidates with their features: the top `pool` of each search the mode uses."""
        index = self.current_index() if index is None else index
        if index.manifest.paragraphs == 0:
            return []
        vector = self.encoder.encode([question])[0] if question_vector is None else question_vector
        query = index.keywords.query(question)
        counts = {
            "paragraphs": pool if mode != "bm25" else 0,
            "sentences": 2 * pool if mode == "hybrid" else 0,
            "keywords": pool if mode != "dense" else 0,
        }
        hits = self.hits(index, vector, query, counts, allowed)
        rows = hits.rows()
        if not rows.size:
            return []
        read = self.read_rows(index, rows, query)
        inputs = ranking_inputs(vector, query, read, hits.best_keyword_score)
        similarity, coverage = inputs.sentence_similarity, inputs.sentence_coverage
        return [
            Candidate(paragraph, 0.0, features, similarity[start:stop], coverage[start:stop])
            for paragraph, features, (start, stop) in zip(
                read.paragraphs, feature_matrix(inputs), pairwise(inputs.sentence_bounds), strict=True
            )
        ]

    def hits(
        self, index: Index, vector: np.ndarray, query: KeywordQuery, counts: dict[str, int], allowed: np.ndarray | None
    ) -> SearchHits:
        """The best rows of each search, `counts` of each (see `Index.hits`); shards override where they search."""
        return index.hits(vector, query, allowed=allowed, **counts)

    def read_rows(self, index: Index, rows: np.ndarray, query: KeywordQuery) -> RowsRead:
        """What ranking reads about the candidate rows; shards override where they are read."""
        return index.read_rows(rows, query)

    def article(self, article_id: str) -> ArticleText | None:
        """The indexed article with this id, all its paragraphs in order; None if it is not indexed."""
        index = self.current_index()
        entry = index.article(article_id)
        return None if entry is None else ArticleText(entry.article, index.paragraphs(entry.paragraph_rows))

    def fusion_weights(self, index: Index | None = None) -> FusionWeights:
        """The weights given, else those the index's manifest records (today's defaults unless they fit, see
        `read_fusion_weights`); of `index`, else of the live generation."""
        if self.weights is not None:
            return self.weights
        return read_fusion_weights((self.current_index() if index is None else index).manifest.fusion)
