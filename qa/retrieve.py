"""Question in, ranked passages out: dense and keyword search fused into one ranking.

Candidates are the union of three searches (paragraph vectors, sentence vectors, BM25). Each
candidate is then described by a handful of features, each about 0..1:
- `paragraph`: cosine of the question and the whole paragraph;
- `sentence`: the best cosine of the question and one of the paragraph's sentences, since a
  question usually targets one sentence;
- `keyword`: BM25, divided by the best BM25 score for this question;
- `coverage`: the share of the question's words (weighted by rarity, IDF) in the paragraph;
- `sentence_phrase`: the share of the question's consecutive word pairs ("super bowl", "born
  in") found as consecutive pairs in one sentence: its phrases, not just its words;
- `distinct_match`: the best sentence by meaning and words together (the mean of its cosine and
  its word share), judged only on what sets the candidates apart. Candidates usually share a
  topic (often one article's subject, named in the question too), so matching it tells them
  apart poorly. Here the candidates' common direction is taken out of the question's and the
  sentences' vectors (`without_topic`), and words are weighted by how rare they are among the
  candidates rather than in the whole index (`rarity_among`).
The hybrid score is their weighted sum, with the weights the index's manifest records
(`FusionWeights`, fitted on half of the SQuAD dev articles; see docs/benchmarks.md). The "dense"
and "bm25" modes rank by one feature alone, for comparison.
"""

from __future__ import annotations

import threading
from dataclasses import astuple, dataclass, fields, replace
from itertools import pairwise
from pathlib import Path
from typing import Literal

import numpy as np

from embeddings.articles import Article
from embeddings.encoder import DEFAULT_MODEL, TextEncoder, question_encoder
from embeddings.index import CURRENT, FormatMismatch, FusionWeights, Index, Manifest, current_generation, open_index
from embeddings.keywords import inverse_document_frequency, term_pairs
from embeddings.store import StoredParagraph

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "bm25")


FEATURES = tuple(f.name for f in fields(FusionWeights))


@dataclass(frozen=True)
class Candidate:
    """A retrieved paragraph, its features, its fused score and its sentences' own scores."""

    paragraph: StoredParagraph
    score: float
    features: np.ndarray  # in FEATURES order
    sentence_similarity: np.ndarray  # cosine with the question, one per sentence
    sentence_coverage: np.ndarray  # share of the question's weighted words, one per sentence


@dataclass(frozen=True)
class ArticleText:
    """A whole indexed article, to read a cited passage in its place."""

    article: Article
    paragraphs: list[StoredParagraph]


def weighted_share(holds: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """For each row of `holds` (rows x question terms, True where the row has the term), the
    weighted share of the question's terms it holds."""
    total = float(weights.sum())
    return (holds @ weights / total).astype(np.float32) if total > 0 else np.zeros(len(holds), np.float32)


def rarity_among(holds: np.ndarray) -> np.ndarray:
    """IDF of each question term among the candidates (`holds`: candidates x terms): a word they
    all hold tells none of them apart."""
    return inverse_document_frequency(holds.sum(axis=0), len(holds))


def without_topic(vectors: np.ndarray, topic: np.ndarray) -> np.ndarray:
    """`vectors` (rows) with their component along `topic` removed, back to unit length."""
    direction = topic / max(float(np.linalg.norm(topic)), 1e-9)
    rest = vectors - np.outer(vectors @ direction, direction)
    return rest / np.maximum(np.linalg.norm(rest, axis=1, keepdims=True), 1e-9)


def built_with(index_dir: Path) -> str:
    """The embedding model the live index was built with, so questions are encoded by the same one."""
    folder = current_generation(index_dir)
    try:
        return DEFAULT_MODEL if folder is None else Manifest.read(folder).model
    except (OSError, ValueError, TypeError, KeyError, FormatMismatch):
        return DEFAULT_MODEL  # opening the index then says what is wrong


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

    def search(
        self,
        question: str,
        *,
        k: int = 5,
        mode: Mode = "hybrid",
        question_vector: np.ndarray | None = None,
        allowed: np.ndarray | None = None,
    ) -> list[Candidate]:
        """The `k` best paragraphs for the question, best first.

        `allowed`, a boolean mask over paragraph rows, restricts every search to those rows
        (inside the searches, so a restricted question still gets `k` passages when it can).
        """
        candidates = self.candidates_for(
            question, pool=max(k, self.candidates), mode=mode, question_vector=question_vector, allowed=allowed
        )
        if not candidates:
            return []
        scores = self.rank_scores(np.stack([c.features for c in candidates]), mode, self.fusion_weights())
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
    ) -> list[Candidate]:
        """Unranked candidates with their features: the top `pool` of each search the mode uses."""
        index = self.current_index()
        if index.manifest.paragraphs == 0:
            return []
        vector = self.encoder.encode([question])[0] if question_vector is None else question_vector
        query = index.keywords.query(question)
        keyword_all = index.keyword_scores(query, allowed)
        rows = self._candidate_rows(index, vector, keyword_all, mode, pool, allowed)
        if not rows.size:
            return []
        paragraphs = index.paragraphs(rows)
        question_weights = query.weights
        question_pairs = term_pairs(query.terms)
        idf = np.fromiter(question_weights.values(), dtype=np.float64, count=len(question_weights))
        sentence_counts = [len(p.sentence_spans) for p in paragraphs]
        sentence_holds = np.array(
            [[term in words for term in question_weights] for p in paragraphs for words in p.sentence_terms], dtype=bool
        ).reshape(sum(sentence_counts), len(question_weights))
        bounds = np.cumsum([0, *sentence_counts])
        paragraph_holds = np.array([sentence_holds[a:b].any(axis=0) for a, b in pairwise(bounds)])
        all_sentence_coverage = weighted_share(sentence_holds, idf)
        paragraph_coverage = weighted_share(paragraph_holds, idf)
        all_distinct_coverage = weighted_share(sentence_holds, rarity_among(paragraph_holds))
        top_keyword = float(keyword_all.max()) if keyword_all.size else 0.0
        paragraph_vectors = index.paragraph_vectors(np.array([p.row for p in paragraphs]))
        paragraph_similarity = paragraph_vectors @ vector
        sentence_rows = np.concatenate([np.arange(p.sentence_rows.start, p.sentence_rows.stop) for p in paragraphs])
        sentence_vectors = index.sentence_vectors(sentence_rows)
        all_sentence_similarity = sentence_vectors @ vector
        topic = paragraph_vectors.mean(axis=0)
        all_distinct_similarity = without_topic(sentence_vectors, topic) @ without_topic(vector[None], topic)[0]
        candidates = []
        for number, (paragraph, (start, stop)) in enumerate(zip(paragraphs, pairwise(bounds), strict=True)):
            sentence_similarity = all_sentence_similarity[start:stop]
            sentence_coverage = all_sentence_coverage[start:stop]
            distinct_match = (all_distinct_similarity[start:stop] + all_distinct_coverage[start:stop]) / 2
            features = np.array(
                [
                    paragraph_similarity[number],
                    sentence_similarity.max(initial=0.0),
                    float(keyword_all[paragraph.row]) / top_keyword if top_keyword > 0 else 0.0,
                    paragraph_coverage[number],
                    max((len(question_pairs & pairs) for pairs in paragraph.sentence_bigrams), default=0)
                    / max(len(question_pairs), 1),
                    distinct_match.max(initial=0.0),
                ],
                dtype=np.float32,
            )
            candidates.append(Candidate(paragraph, 0.0, features, sentence_similarity, sentence_coverage))
        return candidates

    def article(self, article_id: str) -> ArticleText | None:
        """The indexed article with this id, all its paragraphs in order; None if it is not indexed."""
        index = self.current_index()
        entry = index.article(article_id)
        return None if entry is None else ArticleText(entry.article, index.paragraphs(entry.paragraph_rows))

    def fusion_weights(self) -> FusionWeights:
        """The weights given, else the index's own; an index built before a feature existed gets today's defaults,
        since weights are fitted together and a partial set ranks badly (its next build records the new ones)."""
        if self.weights:
            return self.weights
        recorded = self.current_index().manifest.fusion
        return FusionWeights(**recorded) if set(recorded) == set(FEATURES) else FusionWeights()

    @staticmethod
    def rank_scores(features: np.ndarray, mode: Mode, weights: FusionWeights) -> np.ndarray:
        """The ranking score of each candidate's feature row under `mode`."""
        if mode == "bm25":
            return features[:, FEATURES.index("keyword")]
        if mode == "dense":
            return features[:, FEATURES.index("paragraph")]
        return features @ np.array(astuple(weights), dtype=np.float32)

    def _candidate_rows(
        self,
        index: Index,
        vector: np.ndarray,
        keyword_all: np.ndarray,
        mode: Mode,
        n: int,
        allowed: np.ndarray | None,
    ) -> np.ndarray:
        """Union of the top `n` of each search the mode uses."""
        found: list[np.ndarray] = []
        if mode != "bm25":
            found.append(index.search_paragraphs(vector, n, allowed))
        if mode == "hybrid":
            found.append(index.search_sentences(vector, 2 * n, allowed))
        if mode != "dense" and keyword_all.size:
            top = min(n, keyword_all.size)
            best = np.argpartition(-keyword_all, top - 1)[:top]
            found.append(best[keyword_all[best] > 0])
        rows = np.unique(np.concatenate(found).astype(np.int64)) if found else np.zeros(0, np.int64)
        return rows[rows >= 0]
