"""The paragraph store of one segment: article metadata, paragraph text and sentence spans in SQLite.

Row ids are positions: paragraph `i` is row `i` of the segment's paragraph vectors and keyword
postings. A paragraph's sentences are rows `first_sentence ...` of the sentence vectors, in
order, with their character spans and keyword terms kept beside the paragraph's text, so one
query fetches everything ranking and answering need. An article's paragraphs are contiguous rows.

The file numbers rows from 0; a store opened with `Offsets` speaks in the index's rows, which
continue from one segment to the next, so callers never see a segment's own numbering.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from embeddings.articles import Article
from embeddings.keywords import term_pairs

SCHEMA = """
CREATE TABLE articles (
    row INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, title TEXT NOT NULL, path TEXT NOT NULL,
    url TEXT, date TEXT, author TEXT, source TEXT, content_hash TEXT NOT NULL,
    first_paragraph INTEGER NOT NULL, paragraph_count INTEGER NOT NULL, pages TEXT
);
CREATE TABLE paragraphs (
    row INTEGER PRIMARY KEY, article_row INTEGER NOT NULL, number INTEGER NOT NULL,
    part INTEGER NOT NULL, text TEXT NOT NULL, hash TEXT NOT NULL,
    first_sentence INTEGER NOT NULL, spans TEXT NOT NULL, sentence_terms TEXT NOT NULL
);
"""
HASH_INDEX = "CREATE INDEX paragraph_hash ON paragraphs (hash);"


@dataclass(frozen=True)
class Offsets:
    """Where a segment's rows start in the index: its first paragraph, sentence and article row."""

    paragraphs: int = 0
    sentences: int = 0
    articles: int = 0


@dataclass(frozen=True)
class StoredParagraph:
    """A paragraph as stored, with its article's citation fields and its sentence spans."""

    row: int
    article_id: str
    title: str
    number: int
    part: int
    text: str
    hash: str
    first_sentence: int
    sentence_spans: tuple[tuple[int, int], ...]
    sentence_terms: tuple[frozenset[str], ...]  # keyword terms of each sentence
    sentence_bigrams: tuple[frozenset[tuple[str, str]], ...]  # pairs of consecutive terms, each sentence
    url: str = ""
    date: str = ""
    source: str = ""

    @property
    def sentence_rows(self) -> range:
        return range(self.first_sentence, self.first_sentence + len(self.sentence_spans))


@dataclass(frozen=True)
class ParagraphRow:
    """One paragraph as the build writes it."""

    row: int
    article_row: int
    number: int
    part: int
    text: str
    hash: str
    first_sentence: int
    spans: list[tuple[int, int]]
    sentence_terms: list[list[str]]


@dataclass(frozen=True)
class ArticleEntry:
    """An indexed article: what a library listing or a reader panel needs."""

    row: int
    article: Article
    paragraph_rows: range


class ParagraphStore:
    """Read (shared by threads) or write access to one store file."""

    def __init__(self, path: Path, *, create: bool = False, offsets: Offsets | None = None) -> None:
        self.offsets = offsets or Offsets()
        if create:
            path.unlink(missing_ok=True)
        elif not path.exists():
            raise FileNotFoundError(path)
        uri = path.resolve().as_uri() + ("" if create else "?mode=ro")
        self.connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        if create:
            self.connection.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)
        columns = {row[1] for row in self.connection.execute("PRAGMA table_info(articles)")}
        self._article_columns = self._ARTICLE_COLUMNS.replace("pages", "pages" if "pages" in columns else "NULL")

    def close(self) -> None:
        self.connection.close()

    def write_article(self, row: int, article: Article, first_paragraph: int, paragraph_count: int) -> None:
        self.connection.execute(
            "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                row, article.id, article.title, article.path, article.url, article.date, article.author,
                article.source, article.content_hash, first_paragraph, paragraph_count,
                json.dumps(article.pages) if article.pages else None,
            ),
        )  # fmt: skip

    def write_paragraphs(self, rows: Iterable[ParagraphRow]) -> None:
        self.connection.executemany(
            "INSERT INTO paragraphs VALUES (?,?,?,?,?,?,?,?,?)",
            (
                (
                    p.row,
                    p.article_row,
                    p.number,
                    p.part,
                    p.text,
                    p.hash,
                    p.first_sentence,
                    json.dumps(p.spans),
                    "\n".join(" ".join(t) for t in p.sentence_terms),
                )
                for p in rows
            ),
        )

    def commit(self) -> None:
        """Index the paragraph hashes (faster once the rows are in) and write everything."""
        self.connection.execute(HASH_INDEX)
        self.connection.commit()

    def paragraphs(self, rows: Iterable[int]) -> list[StoredParagraph]:
        """The paragraphs at `rows`, in that order."""
        wanted = [int(r) - self.offsets.paragraphs for r in rows]
        if not wanted:
            return []
        with self._lock:
            found = {
                r[0]: r
                for r in self.connection.execute(
                    "SELECT p.row, a.id, a.title, p.number, p.part, p.text, p.hash, p.first_sentence, p.spans,"
                    " p.sentence_terms, a.url, a.date, a.source"
                    " FROM paragraphs p JOIN articles a ON a.row = p.article_row"
                    f" WHERE p.row IN ({','.join('?' * len(wanted))})",
                    wanted,
                )
            }
        return [self._paragraph(found[w]) for w in wanted if w in found]

    def _paragraph(self, r: tuple) -> StoredParagraph:
        sentence_words = [line.split() for line in r[9].split("\n")]
        return StoredParagraph(
            row=r[0] + self.offsets.paragraphs,
            article_id=r[1],
            title=r[2],
            number=r[3],
            part=r[4],
            text=r[5],
            hash=r[6],
            first_sentence=r[7] + self.offsets.sentences,
            sentence_spans=tuple(tuple(s) for s in json.loads(r[8])),
            sentence_terms=tuple(frozenset(words) for words in sentence_words),
            sentence_bigrams=tuple(term_pairs(words) for words in sentence_words),
            url=r[10] or "",
            date=r[11] or "",
            source=r[12] or "",
        )

    def count_paragraphs(self) -> int:
        with self._lock:
            return int(self.connection.execute("SELECT COUNT(*) FROM paragraphs").fetchone()[0])

    def vector_keys(self) -> Iterator[tuple[int, str, int, list[str]]]:
        """(row, hash, first sentence row, sentence texts) of every paragraph: the vector cache's keys."""
        with self._lock:
            rows = self.connection.execute("SELECT row, hash, first_sentence, spans, text FROM paragraphs").fetchall()
        for row, digest, first_sentence, spans, text in rows:
            yield (
                row + self.offsets.paragraphs,
                digest,
                first_sentence + self.offsets.sentences,
                [text[s:e] for s, e in json.loads(spans)],
            )

    def rows_with_hash(self, digest: str) -> list[int]:
        """The rows of the paragraphs with this text hash."""
        with self._lock:
            found = self.connection.execute("SELECT row FROM paragraphs WHERE hash = ?", (digest,)).fetchall()
        return [row + self.offsets.paragraphs for (row,) in found]

    # `pages` came later: a store written before it reads as having none (see __init__)
    _ARTICLE_COLUMNS = (
        "SELECT row, id, title, path, url, date, author, source, content_hash, first_paragraph, paragraph_count,"
        " pages FROM articles"
    )

    def articles(self) -> Iterator[ArticleEntry]:
        """Every article with its paragraph rows, in store order."""
        with self._lock:
            rows = self.connection.execute(self._article_columns + " ORDER BY row").fetchall()
        for row in rows:
            yield self._entry(row)

    def article(self, article_id: str) -> ArticleEntry | None:
        """The article with this id in this segment, or None."""
        with self._lock:
            row = self.connection.execute(self._article_columns + " WHERE id = ?", (article_id,)).fetchone()
        return None if row is None else self._entry(row)

    def _entry(self, row: tuple) -> ArticleEntry:
        first = row[9] + self.offsets.paragraphs
        return ArticleEntry(
            row=row[0] + self.offsets.articles,
            article=Article(
                id=row[1], title=row[2], paragraphs=(), path=row[3], url=row[4] or "",
                date=row[5] or "", author=row[6] or "", source=row[7] or "", content_hash=row[8],
                pages=tuple(json.loads(row[11])) if row[11] else (),
            ),
            paragraph_rows=range(first, first + row[10]),
        )  # fmt: skip
