"""Keyword search: BM25 (bm25s) over stemmed terms, saved with the index.

`terms` is the one tokenizer for paragraphs, questions and answer sentences alike, so a word
matches the same way when ranking passages and when choosing the sentence to quote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

_WORD = re.compile(r"\w\w+|\d")
_STOPWORDS = frozenset(bm25s.stopwords.STOPWORDS_EN_PLUS)
_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def terms(text: str) -> list[str]:
    """Lower-cased, stemmed words of `text`, without English stop words."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]


def term_pairs(words: Sequence[str]) -> frozenset[tuple[str, str]]:
    """Consecutive pairs of terms: a question's phrase found again in a sentence, not just its words."""
    return frozenset(pairwise(words))


class KeywordIndex:
    """BM25 over paragraphs; document ids are paragraph rows."""

    def __init__(self, model: bm25s.BM25) -> None:
        self.model = model

    @classmethod
    def build(cls, texts: Sequence[str]) -> KeywordIndex:
        model = bm25s.BM25()
        if texts:
            model.index([terms(t) or ["\u2205"] for t in texts], show_progress=False)
        return cls(model)

    def scores(self, question: str) -> np.ndarray:
        """BM25 score of every paragraph for the question (zeros where no term matches)."""
        query = terms(question)
        if not query or not hasattr(self.model, "scores"):
            return np.zeros(self.size, dtype=np.float32)
        return self.model.get_scores(query)

    def term_weights(self, query_terms: list[str]) -> dict[str, float]:
        """IDF of each distinct query term in the indexed paragraphs (rarer words weigh more)."""
        if not hasattr(self.model, "scores"):
            return dict.fromkeys(query_terms, 1.0)
        if not hasattr(self, "_document_frequency"):
            self._document_frequency = np.diff(np.asarray(self.model.scores["indptr"]))
        vocabulary, size = self.model.vocab_dict, self.size
        weights = {}
        for term in dict.fromkeys(query_terms):
            token = vocabulary.get(term)
            frequency = (
                int(self._document_frequency[token])
                if token is not None and token < len(self._document_frequency)
                else 0
            )
            weights[term] = float(np.log(1 + (size - frequency + 0.5) / (frequency + 0.5)))
        return weights

    @property
    def size(self) -> int:
        return int(self.model.scores["num_docs"]) if hasattr(self.model, "scores") else 0

    def save(self, folder: Path) -> None:
        if hasattr(self.model, "scores"):
            self.model.save(str(folder), show_progress=False)
        else:
            folder.mkdir(parents=True, exist_ok=True)

    @classmethod
    def load(cls, folder: Path, *, empty: bool = False) -> KeywordIndex:
        """Read a saved index; `empty` says none was saved because there were no paragraphs."""
        if empty:
            return cls(bm25s.BM25())
        if not (folder / "params.index.json").exists():
            raise FileNotFoundError(f"no keyword index in {folder}")
        return cls(bm25s.BM25.load(str(folder), mmap=True, show_progress=False))
