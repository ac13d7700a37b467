"""Articles into passages the model can read whole, and passages into sentences.

all-MiniLM truncates its input at 256 word pieces without a word of warning, so a paragraph
longer than that is split at sentence boundaries into parts that each fit; no text goes unread.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from embeddings.articles import Article

# Room for the [CLS] and [SEP] pieces the model adds around every text.
DEFAULT_MAX_PIECES = 254

_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "vs",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "gen",
        "gov",
        "sen",
        "rep",
        "col",
        "lt",
        "sgt",
        "capt",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "no",
        "fig",
        "e.g",
        "i.e",
        "u.s",
        "u.k",
        "u.n",
        "a.m",
        "p.m",
    ]
)
# A sentence ends at . ! or ? (with closing quotes or brackets) followed by space and an opening
# of a new sentence: a capital, a digit or an opening quote.
_SENTENCE_END = re.compile(
    r"[.!?\u2026]+[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9\u00c0-\u00d6\u00d8-\u00de])"
)


@dataclass(frozen=True)
class Paragraph:
    """A passage to embed: one paragraph of an article, or one part of a long one."""

    article_id: str
    number: int  # 1-based, as the article shows it; parts of a long paragraph share it
    part: int  # 1-based part of a paragraph that was split; 1 for most
    text: str

    @property
    def hash(self) -> str:
        return text_hash(self.text)


def text_hash(text: str) -> str:
    """The key of the embedding cache: equal text, equal vector."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of `text`, covering all of its non-space characters."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        last_word = text[start : match.start() + 1].rsplit(None, 1)[-1].lower().rstrip(".")
        if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue
        spans.append((start, len(text[:end].rstrip())))
        start = end
    if start < len(text.rstrip()):
        spans.append((start, len(text.rstrip())))
    return spans


def _fit_sentences(text: str, count_pieces: Callable[[str], int], max_pieces: int) -> list[str]:
    """Greedily pack whole sentences into parts of at most `max_pieces` word pieces.

    Word pieces never span white space, so the pieces of joined sentences are the sum of
    theirs: each sentence is counted once, which keeps a megabyte-long paragraph linear.
    """
    parts: list[str] = []
    current: list[str] = []
    current_pieces = 0
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        pieces = count_pieces(sentence)
        if pieces > max_pieces:  # a run-on 'sentence' longer than the window: cut between words
            parts.extend(_flush(current))
            current, current_pieces = [], 0
            words, word_pieces = sentence.split(" "), 0
            for word in words:
                n = count_pieces(word)
                if current and word_pieces + n > max_pieces:
                    parts.extend(_flush(current))
                    current, word_pieces = [], 0
                current.append(word)
                word_pieces += n
            current_pieces = word_pieces
            continue
        if current and current_pieces + pieces > max_pieces:
            parts.extend(_flush(current))
            current, current_pieces = [], 0
        current.append(sentence)
        current_pieces += pieces
    parts.extend(_flush(current))
    return parts


def _flush(words_or_sentences: list[str]) -> list[str]:
    return [" ".join(words_or_sentences)] if words_or_sentences else []


def split_article(
    article: Article, *, count_pieces: Callable[[str], int], max_pieces: int = DEFAULT_MAX_PIECES
) -> Iterator[Paragraph]:
    """The article's paragraphs, each cut at sentence boundaries when longer than the window."""
    for number, text in enumerate(article.paragraphs, start=1):
        parts = [text] if count_pieces(text) <= max_pieces else _fit_sentences(text, count_pieces, max_pieces)
        for part, part_text in enumerate(parts, start=1):
            yield Paragraph(article_id=article.id, number=number, part=part, text=part_text)
