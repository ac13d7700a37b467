"""How candidates are ranked: named features over one record of a question's inputs, and the weights that fuse them.

The retriever gathers one question's candidates and everything about them that ranking reads
(`RankingInputs`). Each feature is a pure function of that record, one value per candidate,
each about 0..1 (`FEATURES`, in the order of a candidate's feature row):
- `paragraph`: cosine of the question and the whole paragraph;
- `sentence`: the best cosine of the question and one of the paragraph's sentences;
- `keyword`: BM25, divided by the best BM25 score for this question;
- `coverage`: the share of the question's words (weighted by rarity, IDF) in the paragraph;
- `sentence_phrase`: the share of the question's word pairs found as pairs in one sentence;
- `distinct_match`: the best sentence by meaning and words together, judged only on what sets the
  candidates apart (their common direction taken out of the vectors by `without_topic`, words
  weighted by their rarity among the candidates by `rarity_among`).
The hybrid score is their weighted sum (`fused_scores`), with the weights the index's manifest
records when they are a valid set for these features (`read_fusion_weights`), else the defaults
(`FusionWeights`, fitted on half of the SQuAD dev articles by benchmarks/tune_fusion.py; see
docs/benchmarks.md). The "dense" and "bm25" modes rank by one feature alone, for comparison.

The reader (qa/reader.py) then reads the top passages' sentences: `reranked_by_reading` re-ranks
those passages by their best reading, and `quote_scores` ranks the sentences to quote.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise
from typing import Literal

import numpy as np

from embeddings.keywords import inverse_document_frequency

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "bm25")


@dataclass(frozen=True)
class RankingInputs:
    """One question and its candidates, as ranking reads them; sentences run candidate by candidate.

    What several features (or answering) read is worked out once per record, as a cached property.
    """

    question_vector: np.ndarray  # unit vector
    paragraph_vectors: np.ndarray  # candidates x dimension, unit rows
    sentence_vectors: np.ndarray  # sentences x dimension, unit rows
    sentence_bounds: np.ndarray  # candidate i's sentences are rows sentence_bounds[i]:sentence_bounds[i + 1]
    sentence_holds: np.ndarray  # sentences x question terms, True where the sentence holds the term
    term_weights: np.ndarray  # IDF of each question term over the whole index, in `sentence_holds` column order
    keyword_scores: np.ndarray  # BM25 of each candidate
    best_keyword_score: float  # the best BM25 of any paragraph searched, candidate or not
    question_pairs: frozenset[tuple[str, str]]  # the question's consecutive terms
    sentence_pairs: tuple[frozenset[tuple[str, str]], ...]  # each sentence's consecutive terms

    @cached_property
    def sentence_similarity(self) -> np.ndarray:
        """Cosine of the question and each sentence: a feature's input and the answer sentence's score."""
        return self.sentence_vectors @ self.question_vector

    @cached_property
    def sentence_coverage(self) -> np.ndarray:
        """Share of the question's weighted terms in each sentence, for choosing the answer sentence."""
        return weighted_share(self.sentence_holds, self.term_weights)

    @cached_property
    def paragraph_holds(self) -> np.ndarray:
        """Candidates x question terms, True where any of the candidate's sentences holds the term."""
        return np.array([self.sentence_holds[start:stop].any(axis=0) for start, stop in pairwise(self.sentence_bounds)])


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


def best_per_candidate(sentence_values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Each candidate's best sentence value, never below 0 (0 for a candidate without sentences)."""
    return np.array([sentence_values[start:stop].max(initial=0.0) for start, stop in pairwise(bounds)])


def paragraph(inputs: RankingInputs) -> np.ndarray:
    """Cosine of the question and the whole paragraph: the plain dense match."""
    return inputs.paragraph_vectors @ inputs.question_vector


def sentence(inputs: RankingInputs) -> np.ndarray:
    """Best cosine of the question and one sentence: a question usually targets one sentence, not a paragraph."""
    return best_per_candidate(inputs.sentence_similarity, inputs.sentence_bounds)


def keyword(inputs: RankingInputs) -> np.ndarray:
    """BM25 over this question's best: exact words and names, which embeddings blur."""
    if inputs.best_keyword_score <= 0:
        return np.zeros(len(inputs.keyword_scores), np.float32)
    return inputs.keyword_scores / inputs.best_keyword_score


def coverage(inputs: RankingInputs) -> np.ndarray:
    """IDF-weighted share of the question's words in the paragraph: all the words asked about, not just some."""
    return weighted_share(inputs.paragraph_holds, inputs.term_weights)


def sentence_phrase(inputs: RankingInputs) -> np.ndarray:
    """Best share of the question's word pairs ("born in") found as pairs in one sentence: phrases, not words."""
    found = np.array([len(inputs.question_pairs & pairs) for pairs in inputs.sentence_pairs], dtype=np.float64)
    return best_per_candidate(found / max(len(inputs.question_pairs), 1), inputs.sentence_bounds)


def distinct_match(inputs: RankingInputs) -> np.ndarray:
    """Best sentence by cosine and word share on what sets candidates apart: a shared topic tells them apart poorly."""
    topic = inputs.paragraph_vectors.mean(axis=0)
    question = without_topic(inputs.question_vector[None], topic)[0]
    similarity = without_topic(inputs.sentence_vectors, topic) @ question
    share = weighted_share(inputs.sentence_holds, rarity_among(inputs.paragraph_holds))
    return best_per_candidate((similarity + share) / 2, inputs.sentence_bounds)


Feature = Callable[[RankingInputs], np.ndarray]
FEATURES: tuple[Feature, ...] = (paragraph, sentence, keyword, coverage, sentence_phrase, distinct_match)
FEATURE_NAMES = tuple(feature.__name__ for feature in FEATURES)  # a feature row's columns; `FusionWeights`' fields


def feature_matrix(inputs: RankingInputs) -> np.ndarray:
    """Candidates x `FEATURES`: each candidate's feature row."""
    return np.stack([feature(inputs) for feature in FEATURES], axis=1).astype(np.float32)


@dataclass(frozen=True)
class FusionWeights:
    """How the hybrid ranking weighs each feature (a field per name in `FEATURE_NAMES`).

    The defaults were fitted on half of the SQuAD v1.1 dev articles by benchmarks/tune_fusion.py
    (which prints them in this form) and sum to 1, so the fused score is a weighted mean of
    features that each run about 0..1. An index's manifest records the weights it was built for.
    """

    paragraph: float = 0.263
    sentence: float = 0.149
    keyword: float = 0.011
    coverage: float = 0.133
    sentence_phrase: float = 0.097
    distinct_match: float = 0.346

    def vector(self) -> np.ndarray:
        """The weights in feature-row order, to score a feature matrix."""
        return np.array([getattr(self, name) for name in FEATURE_NAMES], dtype=np.float32)


def read_fusion_weights(recorded: object) -> FusionWeights:
    """The weights a manifest records, if they are one finite number for each of today's features; else the
    defaults, since weights are fitted together: an index built before a feature existed (or recording none)
    would rank badly with a partial set."""
    if not isinstance(recorded, Mapping) or set(recorded) != set(FEATURE_NAMES):
        return FusionWeights()
    values = recorded.values()
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values):
        return FusionWeights()
    return FusionWeights(**{name: float(value) for name, value in recorded.items()})


def fused_scores(features: np.ndarray, mode: Mode, weights: FusionWeights) -> np.ndarray:
    """The ranking score of each candidate's feature row under `mode`."""
    if mode == "bm25":
        return features[:, FEATURE_NAMES.index("keyword")]
    if mode == "dense":
        return features[:, FEATURE_NAMES.index("paragraph")]
    return features @ weights.vector()


def reranked_by_reading(scores: np.ndarray, readings: np.ndarray, weight: float) -> np.ndarray:
    """Rank scores of passages the reader read, raised by their best sentence's reading (squashed to
    0..1): a passage whose sentence answers belongs above one that only shares the question's words."""
    return scores + weight / (1 + np.exp(-readings))


def confidence(
    quote_score: np.ndarray,
    coverage: np.ndarray,
    coverage_weight: float,
    missing_names: np.ndarray | float = 0.0,
    names_weight: float = 0.0,
) -> np.ndarray:
    """How sure a quoted sentence answers, for "not found": its quote score, helped by how much of
    the question's weighted words its passage holds, and lowered by the share of the question's names
    its article never mentions (a sentence of the right kind about another subject reads well, but
    its passage lacks the question's rarer words, its article the question's subject)."""
    return quote_score + coverage_weight * coverage - names_weight * missing_names


def quote_scores(readings: np.ndarray, scores: np.ndarray, passage_weight: float) -> np.ndarray:
    """How each read passage's best sentence ranks as the one to quote: its reading, helped by its
    passage's rank score (a sentence that reads well in a passage ranked low is often a look-alike)."""
    return readings + passage_weight * scores
