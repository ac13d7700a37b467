"""Keyword search: BM25 over stemmed terms, kept as postings so that segments add up.

`terms` is the one tokenizer for paragraphs, questions and answer sentences alike, so a word
matches the same way when ranking passages and when choosing the sentence to quote.

Each segment of the index keeps its own postings (for every term: the paragraphs holding it and
how often) and its paragraph lengths. `KeywordSearch` scores with the statistics of the whole
index (paragraph count, average length, document frequency summed over segments), so a paragraph
scores the same whichever segment holds it and appending a segment rewrites none of the others.
A shard that opens only some of the segments scores with the collection's statistics, which
each generation keeps beside its manifest (`CollectionStatistics`).
The formula is Lucene's BM25 as bm25s computes it (k1 1.5, b 0.75); bm25s precomputes scores
with the corpus statistics baked in, which is why the postings here keep raw frequencies.
"""

from __future__ import annotations

import json
import re
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

_WORD = re.compile(r"\w\w+|\d")
_STOPWORDS = frozenset(bm25s.stopwords.STOPWORDS_EN_PLUS)
_stemmer = Stemmer.Stemmer("english")
K1 = 1.5  # how fast repeating a term stops adding to the score
B = 0.75  # how much a long paragraph is discounted


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def terms(text: str) -> list[str]:
    """Lower-cased, stemmed words of `text`, without English stop words."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]


def term_pairs(words: Sequence[str]) -> frozenset[tuple[str, str]]:
    """Consecutive pairs of terms: a question's phrase found again in a sentence, not just its words."""
    return frozenset(pairwise(words))


def inverse_document_frequency(frequency: int | np.ndarray, size: int) -> float | np.ndarray:
    """Lucene's IDF: rarer terms weigh more, and it never goes negative. Takes one count or an array."""
    return np.log1p((size - frequency + 0.5) / (frequency + 0.5))


class KeywordIndex:
    """One segment's postings: for term id t, rows[starts[t]:starts[t+1]] and their frequencies."""

    FILES = ("starts", "rows", "frequencies", "lengths")

    def __init__(
        self,
        vocabulary: dict[str, int],
        starts: np.ndarray,
        rows: np.ndarray,
        frequencies: np.ndarray,
        lengths: np.ndarray,
    ) -> None:
        self.vocabulary = vocabulary
        self.starts = starts
        self.rows = rows
        self.frequencies = frequencies
        self.lengths = lengths

    @classmethod
    def build(cls, term_lists: Iterable[Sequence[str]]) -> KeywordIndex:
        """Postings of the paragraphs whose terms are `term_lists`, row by row."""
        vocabulary: dict[str, int] = {}
        term_ids, rows, frequencies, lengths = array("i"), array("i"), array("H"), array("i")
        for row, words in enumerate(term_lists):
            lengths.append(len(words))
            for term, count in Counter(words).items():
                term_ids.append(vocabulary.setdefault(term, len(vocabulary)))
                rows.append(row)
                frequencies.append(min(count, 65535))
        ids = np.frombuffer(term_ids, dtype=np.int32)
        order = np.argsort(ids, kind="stable")  # by term, rows ascending within each
        starts = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        np.cumsum(np.bincount(ids, minlength=len(vocabulary)), out=starts[1:])
        return cls(
            vocabulary,
            starts,
            np.frombuffer(rows, dtype=np.int32)[order],
            np.frombuffer(frequencies, dtype=np.uint16)[order],
            np.frombuffer(lengths, dtype=np.int32).copy(),
        )

    @property
    def size(self) -> int:
        return len(self.lengths)

    @property
    def total_length(self) -> int:
        return int(self.lengths.sum(dtype=np.int64))

    def document_frequency(self, term: str) -> int:
        token = self.vocabulary.get(term)
        return 0 if token is None else int(self.starts[token + 1] - self.starts[token])

    def add_scores(self, out: np.ndarray, term: str, weight: float, average_length: float) -> None:
        """Add one query term's BM25 contribution to `out`, one score per row of this segment."""
        token = self.vocabulary.get(term)
        if token is None:
            return
        start, end = self.starts[token], self.starts[token + 1]
        rows = self.rows[start:end]
        frequency = self.frequencies[start:end].astype(np.float32)
        norm = K1 * (1 - B + B * self.lengths[rows] / average_length)
        out[rows] += weight * frequency / (norm + frequency)

    def add_scores_at(self, out: np.ndarray, rows: np.ndarray, term: str, weight: float, average_length: float) -> None:
        """`add_scores` for some rows only (ascending, of this segment), by looking them up in the term's postings."""
        token = self.vocabulary.get(term)
        if token is None or not len(rows):
            return
        postings = self.rows[self.starts[token] : self.starts[token + 1]]
        at = np.minimum(np.searchsorted(postings, rows), len(postings) - 1)
        held = postings[at] == rows
        frequency = self.frequencies[self.starts[token] + at[held]].astype(np.float32)
        norm = K1 * (1 - B + B * self.lengths[rows[held]] / average_length)
        out[held] += weight * frequency / (norm + frequency)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        terms_in_order = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        (folder / "vocabulary.json").write_text(json.dumps(terms_in_order))
        for name in self.FILES:
            np.save(folder / f"{name}.npy", getattr(self, name))

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        terms_in_order = json.loads((folder / "vocabulary.json").read_text())
        arrays = [np.load(folder / f"{name}.npy", mmap_mode="r") for name in cls.FILES]
        return cls({term: i for i, term in enumerate(terms_in_order)}, *arrays)


@dataclass(frozen=True)
class CollectionStatistics:
    """What BM25 reads about the whole collection: kept beside a generation's manifest, so a shard
    holding some of the segments scores every paragraph as the whole index would."""

    size: int  # paragraph rows, removed ones included, as the segments count them
    total_length: int  # terms over all those rows
    document_frequency: dict[str, int]  # rows holding each term

    FILE = "keyword_statistics.json"

    @classmethod
    def of(cls, segments: Sequence[KeywordIndex]) -> CollectionStatistics:
        frequency: Counter[str] = Counter()
        for segment in segments:
            counts = np.diff(segment.starts).tolist()
            frequency.update(dict(zip(segment.vocabulary, counts, strict=True)))
        return cls(sum(s.size for s in segments), sum(s.total_length for s in segments), dict(frequency))

    def save(self, folder: Path) -> None:
        (folder / self.FILE).write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, folder: Path) -> CollectionStatistics:
        return cls(**json.loads((folder / cls.FILE).read_text()))


@dataclass(frozen=True)
class KeywordQuery:
    """A question as keyword search sees it: its terms in order, and each distinct term's IDF weight."""

    terms: list[str]
    weights: dict[str, float]


class KeywordSearch:
    """BM25 over the postings of some segments, rows numbered across them in order.

    The statistics are those of the segments given, or of the whole collection when a shard holds
    only some of them (`collection`).
    """

    def __init__(self, segments: Sequence[KeywordIndex], collection: CollectionStatistics | None = None) -> None:
        self.segments = list(segments)
        self.collection = collection
        self.size = sum(s.size for s in self.segments)  # rows scored: those of these segments
        self.collection_size = self.size if collection is None else collection.size
        total_length = sum(s.total_length for s in self.segments) if collection is None else collection.total_length
        self.average_length = max(total_length / max(self.collection_size, 1), 1e-9)

    def document_frequency(self, term: str) -> int:
        """Rows of the collection holding `term`."""
        if self.collection is None:
            return sum(s.document_frequency(term) for s in self.segments)
        return self.collection.document_frequency.get(term, 0)

    def term_weights(self, query_terms: Iterable[str]) -> dict[str, float]:
        """IDF of each distinct query term over the whole collection (rarer words weigh more)."""
        return {
            term: inverse_document_frequency(self.document_frequency(term), self.collection_size)
            for term in dict.fromkeys(query_terms)
        }

    def query(self, question: str) -> KeywordQuery:
        """The question's terms and their weights, worked out once for BM25 and for whoever else needs them."""
        query_terms = terms(question)
        return KeywordQuery(query_terms, self.term_weights(query_terms))

    def scores(self, query: KeywordQuery) -> np.ndarray:
        """BM25 score of every paragraph for the query (zeros where no term matches)."""
        out = np.zeros(self.size, dtype=np.float32)
        for term in query.terms:  # a repeated term counts again, as in bm25s
            offset = 0
            for segment in self.segments:
                segment.add_scores(out[offset : offset + segment.size], term, query.weights[term], self.average_length)
                offset += segment.size
        return out

    def scores_at(self, query: KeywordQuery, rows: np.ndarray) -> np.ndarray:
        """`scores(query)[rows]` (rows ascending) without scoring every other row: what a few candidates need."""
        out = np.zeros(len(rows), dtype=np.float32)
        bounds = np.cumsum([0, *(s.size for s in self.segments)])
        for segment, (start, stop) in zip(self.segments, pairwise(bounds), strict=True):
            mine = (rows >= start) & (rows < stop)
            if not mine.any():
                continue
            part, local = out[mine], rows[mine] - start
            for term in query.terms:  # in the question's order, as `scores` adds them
                segment.add_scores_at(part, local, term, query.weights[term], self.average_length)
            out[mine] = part
        return out
