"""The paragraph store: article metadata, paragraph text and sentence spans in SQLite.

Row ids are positions: paragraph `i` is row `i` of the paragraph vectors and id `i` in the
vector and keyword indexes; sentence `j` is row `j` of the sentence vectors. Paragraphs of an
article, and sentences of a paragraph, are stored contiguously so neighbours are a range.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from embeddings.articles import Article

SCHEMA = """
CREATE TABLE articles (
    row INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, title TEXT NOT NULL, path TEXT NOT NULL,
    url TEXT, date TEXT, author TEXT, source TEXT, content_hash TEXT NOT NULL,
    first_paragraph INTEGER NOT NULL, paragraph_count INTEGER NOT NULL
);
CREATE TABLE paragraphs (
    row INTEGER PRIMARY KEY, article_row INTEGER NOT NULL, number INTEGER NOT NULL,
    part INTEGER NOT NULL, text TEXT NOT NULL, hash TEXT NOT NULL,
    first_sentence INTEGER NOT NULL, sentence_count INTEGER NOT NULL
);
CREATE TABLE sentences (
    row INTEGER PRIMARY KEY, paragraph_row INTEGER NOT NULL,
    start INTEGER NOT NULL, end INTEGER NOT NULL
);
"""


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
    sentence_rows: range
    sentence_spans: tuple[tuple[int, int], ...]
    url: str = ""
    date: str = ""
    source: str = ""


@dataclass(frozen=True)
class ArticleEntry:
    """An indexed article: what a library listing or a reader panel needs."""

    row: int
    article: Article
    paragraph_rows: range


class ParagraphStore:
    """Read and write access to one store file."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        if create:
            path.unlink(missing_ok=True)
        elif not path.exists():
            raise FileNotFoundError(path)
        uri = path.as_uri() + ("" if create else "?mode=ro")
        self.connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        if create:
            self.connection.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)

    def close(self) -> None:
        self.connection.close()

    def write_article(self, row: int, article: Article, first_paragraph: int, paragraph_count: int) -> None:
        self.connection.execute(
            "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                row,
                article.id,
                article.title,
                article.path,
                article.url,
                article.date,
                article.author,
                article.source,
                article.content_hash,
                first_paragraph,
                paragraph_count,
            ),
        )

    def write_paragraphs(self, rows: Iterable[tuple[int, int, int, int, str, str, int, int]]) -> None:
        self.connection.executemany("INSERT INTO paragraphs VALUES (?,?,?,?,?,?,?,?)", rows)

    def write_sentences(self, rows: Iterable[tuple[int, int, int, int]]) -> None:
        self.connection.executemany("INSERT INTO sentences VALUES (?,?,?,?)", rows)

    def commit(self) -> None:
        self.connection.commit()

    _PARAGRAPH_QUERY = (
        "SELECT p.row, a.id, a.title, p.number, p.part, p.text, p.hash, p.first_sentence,"
        " p.sentence_count, a.url, a.date, a.source FROM paragraphs p"
        " JOIN articles a ON a.row = p.article_row"
    )

    def paragraphs(self, rows: Iterable[int]) -> list[StoredParagraph]:
        """The paragraphs at `rows`, in that order."""
        wanted = [int(r) for r in rows]
        if not wanted:
            return []
        marks = ",".join("?" * len(wanted))
        found = {r[0]: r for r in self.connection.execute(f"{self._PARAGRAPH_QUERY} WHERE p.row IN ({marks})", wanted)}
        spans = self._sentence_spans([found[r] for r in wanted if r in found])
        return [self._paragraph(found[r], spans) for r in wanted if r in found]

    def _sentence_spans(self, paragraph_rows: list[tuple]) -> dict[int, tuple[int, int]]:
        ranges = [(r[7], r[7] + r[8]) for r in paragraph_rows]
        spans: dict[int, tuple[int, int]] = {}
        for low, high in ranges:
            for row, start, end in self.connection.execute(
                "SELECT row, start, end FROM sentences WHERE row >= ? AND row < ?", (low, high)
            ):
                spans[row] = (start, end)
        return spans

    @staticmethod
    def _paragraph(row: tuple, spans: dict[int, tuple[int, int]]) -> StoredParagraph:
        sentence_rows = range(row[7], row[7] + row[8])
        return StoredParagraph(
            row=row[0],
            article_id=row[1],
            title=row[2],
            number=row[3],
            part=row[4],
            text=row[5],
            hash=row[6],
            sentence_rows=sentence_rows,
            sentence_spans=tuple(spans[s] for s in sentence_rows),
            url=row[9] or "",
            date=row[10] or "",
            source=row[11] or "",
        )

    def hashes(self) -> Iterator[tuple[int, str]]:
        """(row, hash) of every paragraph: the embedding cache's keys."""
        yield from self.connection.execute("SELECT row, hash FROM paragraphs")

    def sentence_hash_rows(self) -> Iterator[tuple[int, str, int, int]]:
        """(sentence row, paragraph text, start, end) for every sentence, to key its vector."""
        yield from self.connection.execute(
            "SELECT s.row, p.text, s.start, s.end FROM sentences s JOIN paragraphs p ON p.row = s.paragraph_row"
        )

    def articles(self) -> Iterator[ArticleEntry]:
        """Every article with its paragraph rows, in store order."""
        cursor = self.connection.execute(
            "SELECT row, id, title, path, url, date, author, source, content_hash, first_paragraph,"
            " paragraph_count FROM articles ORDER BY row"
        )
        for row in cursor:
            yield ArticleEntry(
                row=row[0],
                article=Article(
                    id=row[1],
                    title=row[2],
                    paragraphs=(),
                    path=row[3],
                    url=row[4] or "",
                    date=row[5] or "",
                    author=row[6] or "",
                    source=row[7] or "",
                    content_hash=row[8],
                ),
                paragraph_rows=range(row[9], row[9] + row[10]),
            )

    def article_paragraph_texts(self, article_row: int) -> list[tuple[int, int, str]]:
        """(number, part, text) of an article's stored paragraphs, in order."""
        return list(
            self.connection.execute(
                "SELECT number, part, text FROM paragraphs WHERE article_row = ? ORDER BY row", (article_row,)
            )
        )

    def count(self, table: str) -> int:
        assert table in {"articles", "paragraphs", "sentences"}
        return int(self.connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
