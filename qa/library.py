"""The indexed articles as a library: listing them, and narrowing a question to some of them.

A `Restriction` becomes a mask over paragraph rows that every search applies inside itself
(FAISS's id selector, BM25 zeroed outside it), so a narrowed question still gets its passages
from the chosen articles instead of losing the ones a global search ranked first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embeddings.index import Index


@dataclass(frozen=True)
class LibraryEntry:
    """One indexed article, as the library panel lists it."""

    id: str
    title: str
    source: str
    date: str
    paragraphs: int


@dataclass(frozen=True)
class Restriction:
    """Which articles a question may be answered from; an empty field does not restrict.

    Dates compare as text, so ISO dates (2022-02-04) work and a prefix (2022, 2022-02) covers
    its whole year or month; articles without a date are left out when a date bound is set.
    """

    articles: tuple[str, ...] = ()  # article ids
    source: str = ""
    date_from: str = ""
    date_to: str = ""

    def __bool__(self) -> bool:
        return bool(self.articles or self.source or self.date_from or self.date_to)

    def describe(self, titles: dict[str, str] | None = None) -> str:
        """One line for the reader: what the search is narrowed to."""
        parts = []
        if self.articles:
            names = [(titles or {}).get(a, a) for a in self.articles]
            shown = ", ".join(f"“{n}”" for n in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            parts.append(f"{'article' if len(names) == 1 else 'articles'} {shown}")
        if self.source:
            parts.append(f"source “{self.source}”")
        if self.date_from or self.date_to:
            parts.append(f"dates {self.date_from or '…'} to {self.date_to or '…'}")
        return "Searching only " + "; ".join(parts)

    def admits(self, entry: LibraryEntry) -> bool:
        date = entry.date[: max(len(self.date_from), len(self.date_to), 10)]
        return (
            (not self.articles or entry.id in self.articles)
            and (not self.source or entry.source.casefold() == self.source.casefold())
            and (not self.date_from or (bool(date) and date[: len(self.date_from)] >= self.date_from))
            and (not self.date_to or (bool(date) and date[: len(self.date_to)] <= self.date_to))
        )


def _entries(index: Index) -> list[tuple[LibraryEntry, range]]:
    """Every indexed article with its paragraph rows, in index order."""
    return [
        (
            LibraryEntry(
                id=entry.article.id,
                title=entry.article.title,
                source=entry.article.source,
                date=entry.article.date,
                paragraphs=len(entry.paragraph_rows),
            ),
            entry.paragraph_rows,
        )
        for entry in index.articles()
    ]


def library(index: Index) -> list[LibraryEntry]:
    """Every indexed article, in index order."""
    return [entry for entry, _ in _entries(index)]


def allowed_rows(index: Index, restriction: Restriction) -> np.ndarray:
    """The mask of paragraph rows whose article the restriction admits."""
    allowed = np.zeros(index.rows, dtype=bool)
    for entry, rows in _entries(index):
        if restriction.admits(entry):
            allowed[rows.start : rows.stop] = True
    return allowed
