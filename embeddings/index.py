"""The index folder: immutable generations, swapped in atomically, each describing itself.

    INDEX/CURRENT                   name of the live generation (replaced atomically)
    INDEX/PREVIOUS                  name of the generation live before it, kept so a build can be undone
    INDEX/build.lock                held by the one build that may run at a time
    INDEX/gen-<time>/manifest.json  how it was built: format, model, counts, settings, its segments
    INDEX/gen-<time>/seg-<time>/    the segments, in row order (see embeddings/segment.py)
    INDEX/gen-<time>/removed.npy    paragraph rows of articles since removed or edited, if any
    INDEX/gen-<time>/keyword_statistics.json   the collection's BM25 statistics, for shards

A build writes a whole new generation and then replaces CURRENT, so a reader, or a build killed
half-way, only ever sees a complete generation; the one before it is kept, and undoing a build
puts it back the same way. Readers notice a new CURRENT and reopen. A
generation that adds articles to the last one hard-links its segments and writes one more, so
"whole new generation" costs the new paragraphs, not the index. Rows of removed or replaced
articles stay in their segments, masked by `removed.npy`, until a full build compacts them.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from embeddings.keywords import CollectionStatistics, KeywordQuery, KeywordSearch
from embeddings.segment import Segment, SegmentInfo
from embeddings.store import ArticleEntry, Offsets, StoredParagraph

FORMAT_VERSION = 4
CURRENT = "CURRENT"
PREVIOUS = "PREVIOUS"
LOCK = "build.lock"
REBUILD_HINT = "python -m embeddings.build --index {index} --full"


class IndexProblem(Exception):
    """An index that cannot be used; the message says what is wrong and which command fixes it."""


class FormatMismatch(Exception):
    """A manifest written by another format version; the message is that version."""


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model: str
    model_path: str
    dimension: int
    normalised: bool
    segments: list[SegmentInfo]
    articles: int  # live ones: not counting rows of removed or replaced articles
    paragraphs: int
    sentences: int
    removed_paragraphs: int  # rows masked by removed.npy, until a full build compacts them
    built_at: str
    settings: dict
    fusion: dict[str, float]  # the ranking's weights, opaque here: given to the build, read by qa/ranking.py
    source_digest: str  # of the ids and content hashes of the articles read, to spot a no-change build
    articles_dir: str = ""  # absolute path of the folder indexed ("" in indexes built before it was kept)

    def write(self, folder: Path) -> None:
        (folder / "manifest.json").write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        data = json.loads((folder / "manifest.json").read_text())
        if data.get("format_version") != FORMAT_VERSION:
            raise FormatMismatch(data.get("format_version"))
        data["segments"] = [SegmentInfo(**segment) for segment in data["segments"]]
        return cls(**data)

    @property
    def rows(self) -> int:
        """Paragraph rows over all segments, removed ones included: the length of any row mask."""
        return sum(segment.paragraphs for segment in self.segments)

    def segment_offsets(self) -> list[Offsets]:
        """Where each segment's rows start in the index."""
        offsets, paragraphs, sentences, articles = [], 0, 0, 0
        for segment in self.segments:
            offsets.append(Offsets(paragraphs, sentences, articles))
            paragraphs += segment.paragraphs
            sentences += segment.sentences
            articles += segment.articles
        return offsets


@dataclass(frozen=True)
class Hits:
    """One search's best rows and their scores, best first."""

    scores: np.ndarray
    rows: np.ndarray

    @classmethod
    def best(cls, scores: np.ndarray, rows: np.ndarray, k: int) -> Hits:
        """The `k` best (score, row) pairs, ties to the lower row: the same whether taken over all rows
        at once or from the best of each part, which is what lets segments and shards be merged exactly."""
        if k <= 0:
            scores, rows = scores[:0], rows[:0]
        elif len(scores) > k:
            keep = scores >= np.partition(scores, len(scores) - k)[len(scores) - k]
            scores, rows = scores[keep], rows[keep]
        order = np.lexsort((rows, -scores))[:k]
        return cls(scores[order], rows[order].astype(np.int64))

    @classmethod
    def merged(cls, parts: Sequence[Hits], k: int) -> Hits:
        if not parts:
            return cls(np.zeros(0, np.float32), np.zeros(0, np.int64))
        return cls.best(np.concatenate([p.scores for p in parts]), np.concatenate([p.rows for p in parts]), k)


@dataclass(frozen=True)
class SearchHits:
    """The best rows of each search for one question: what a shard sends back, and their merge."""

    paragraphs: Hits
    sentences: Hits  # each sentence's paragraph row (a row may repeat)
    keywords: Hits
    best_keyword_score: float  # of any row searched, candidate or not

    def rows(self) -> np.ndarray:
        """The candidates: the union of the searches' rows, ascending."""
        return np.unique(np.concatenate([self.paragraphs.rows, self.sentences.rows, self.keywords.rows]))

    @classmethod
    def merged(cls, parts: Sequence[SearchHits], *, paragraphs: int, sentences: int, keywords: int) -> SearchHits:
        """The hits of the whole index from those of shards holding its segments."""
        return cls(
            Hits.merged([p.paragraphs for p in parts], paragraphs),
            Hits.merged([p.sentences for p in parts], sentences),
            Hits.merged([p.keywords for p in parts], keywords),
            max((p.best_keyword_score for p in parts), default=0.0),
        )


@dataclass(frozen=True)
class RowsRead:
    """What ranking reads about some rows: the paragraphs, their vectors and their BM25 scores."""

    paragraphs: list[StoredParagraph]
    paragraph_vectors: np.ndarray  # one per paragraph
    sentence_vectors: np.ndarray  # one per sentence, paragraph by paragraph
    keyword_scores: np.ndarray  # one per paragraph

    @classmethod
    def joined(cls, parts: Sequence[RowsRead]) -> RowsRead:
        """Parts read in row order, as one."""
        return cls(
            [p for part in parts for p in part.paragraphs],
            np.concatenate([part.paragraph_vectors for part in parts]),
            np.concatenate([part.sentence_vectors for part in parts]),
            np.concatenate([part.keyword_scores for part in parts]),
        )


@dataclass
class Index:
    """One open generation, or some of its segments (a shard): read as one run of rows, minus the
    removed ones.

    Rows are numbered over the whole generation, whichever segments are open; `allowed` masks are
    over all its rows.
    """

    folder: Path
    manifest: Manifest
    segments: list[Segment]
    removed: np.ndarray | None  # True for rows of articles removed or replaced; None when there are none
    keywords: KeywordSearch  # over the open segments, with the whole collection's statistics

    @property
    def rows(self) -> int:
        return self.manifest.rows

    @cached_property
    def live(self) -> np.ndarray | None:
        """True for every row not removed; None when none is (computed once, not per question)."""
        return None if self.removed is None else ~self.removed

    @cached_property
    def row_numbers(self) -> np.ndarray | None:
        """The row number of each row the open segments hold, in order; None when every segment is open."""
        if len(self.segments) == len(self.manifest.segments):
            return None
        return np.concatenate(
            [np.arange(s.offsets.paragraphs, s.offsets.paragraphs + s.info.paragraphs) for s in self.segments]
        )

    def usable(self, allowed: np.ndarray | None) -> np.ndarray | None:
        """`allowed` without the removed rows (None: every row)."""
        if self.live is None:
            return allowed
        return self.live if allowed is None else allowed & self.live

    def hits(
        self,
        vector: np.ndarray,
        query: KeywordQuery,
        *,
        paragraphs: int,
        sentences: int,
        keywords: int,
        allowed: np.ndarray | None = None,
    ) -> SearchHits:
        """The best `paragraphs` rows by vector, `sentences` sentences by vector and `keywords` rows by
        BM25 (0: that search is not made)."""
        allowed = self.usable(allowed)
        empty = Hits.merged([], 0)
        keyword_hits, best_keyword = empty, 0.0
        if keywords:
            scores = self.keywords.scores(query)
            if allowed is not None:
                scores = np.where(allowed if self.row_numbers is None else allowed[self.row_numbers], scores, 0.0)
            matching = np.flatnonzero(scores > 0)
            rows = matching if self.row_numbers is None else self.row_numbers[matching]
            keyword_hits = Hits.best(scores[matching], rows, keywords)
            best_keyword = float(scores.max(initial=0.0))
        return SearchHits(
            self._search_vectors(vector, paragraphs, allowed, "paragraphs") if paragraphs else empty,
            self._search_vectors(vector, sentences, allowed, "sentences") if sentences else empty,
            keyword_hits,
            best_keyword,
        )

    def read_rows(self, rows: np.ndarray, query: KeywordQuery) -> RowsRead:
        """What ranking reads about these rows (ascending, all in the open segments)."""
        paragraphs = self.paragraphs(rows)
        sentence_rows = [np.arange(p.sentence_rows.start, p.sentence_rows.stop) for p in paragraphs]
        local = rows if self.row_numbers is None else np.searchsorted(self.row_numbers, rows)
        return RowsRead(
            paragraphs,
            self.paragraph_vectors(rows),
            self.sentence_vectors(np.concatenate([np.zeros(0, np.int64), *sentence_rows])),
            self.keywords.scores_at(query, local),
        )

    def paragraph_vectors(self, rows: np.ndarray) -> np.ndarray:
        return self._vectors(rows, "paragraphs")

    def sentence_vectors(self, rows: np.ndarray) -> np.ndarray:
        return self._vectors(rows, "sentences")

    def paragraphs(self, rows: Iterable[int]) -> list[StoredParagraph]:
        """The paragraphs at `rows`, in that order."""
        rows = np.asarray(list(rows), dtype=np.int64)
        which = self._segment_of(rows, "paragraphs")
        found: dict[int, StoredParagraph] = {}
        for number in np.unique(which):
            found.update((p.row, p) for p in self.segments[number].store.paragraphs(rows[which == number]))
        return [found[row] for row in rows.tolist() if row in found]

    def articles(self) -> Iterator[ArticleEntry]:
        """Every live article with its paragraph rows, in row order."""
        for segment in self.segments:
            for entry in segment.store.articles():
                if self.removed is None or not self.removed[entry.paragraph_rows.start]:
                    yield entry

    def article(self, article_id: str) -> ArticleEntry | None:
        """The live article with this id, or None."""
        for segment in reversed(self.segments):  # a replaced article's live version is the newest
            entry = segment.store.article(article_id)
            if entry is not None and (self.removed is None or not self.removed[entry.paragraph_rows.start]):
                return entry
        return None

    def rows_with_hash(self, digest: str) -> list[int]:
        """Rows, removed ones included, of the paragraphs with this text hash."""
        return [row for segment in self.segments for row in segment.store.rows_with_hash(digest)]

    def vector_keys(self) -> Iterator[tuple[int, str, int, list[str]]]:
        """(row, hash, first sentence row, sentence texts) of every row: the keys for reusing vectors."""
        for segment in self.segments:
            yield from segment.store.vector_keys()

    def close(self) -> None:
        for segment in self.segments:
            segment.close()

    def _search_vectors(self, vector: np.ndarray, k: int, allowed: np.ndarray | None, table: str) -> Hits:
        """The `k` best paragraph rows by the paragraph or (a row per sentence) the sentence vectors."""
        found = []
        for segment in self.segments:
            start, size = segment.offsets.paragraphs, segment.info.paragraphs
            mask = None if allowed is None else allowed[start : start + size]
            if table == "paragraphs":
                scores, ids = segment.paragraph_index.search(vector[None, :], k, allowed=mask)
                rows = ids[0]
            else:
                owner = np.asarray(segment.sentence_owner)
                sentence_mask = None if mask is None else mask[owner]
                scores, ids = segment.sentence_index.search(vector[None, :], k, allowed=sentence_mask)
                rows = owner[ids[0]]
            kept = ids[0] >= 0
            found.append(Hits(scores[0][kept], rows[kept] + start))
        return Hits.merged(found, k)

    def _segment_of(self, rows: np.ndarray, table: str) -> np.ndarray:
        starts = [getattr(segment.offsets, table) for segment in self.segments]
        return np.searchsorted(starts, rows, side="right") - 1

    def _vectors(self, rows: np.ndarray, table: str) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros((len(rows), self.manifest.dimension), dtype=np.float32)
        which = self._segment_of(rows, table)
        for number in np.unique(which):
            segment = self.segments[number]
            index = segment.paragraph_index if table == "paragraphs" else segment.sentence_index
            chosen = which == number
            out[chosen] = index.vectors(rows[chosen] - getattr(segment.offsets, table))
        return out


def current_generation(index_dir: Path) -> Path | None:
    """The live generation's folder, or None before the first build."""
    try:
        name = (index_dir / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    return index_dir / name


def previous_generation(index_dir: Path) -> Path | None:
    """The generation live before the current one, if it is still whole on disk."""
    try:
        folder = index_dir / (index_dir / PREVIOUS).read_text().strip()
    except FileNotFoundError:
        return None
    return folder if (folder / "manifest.json").is_file() and folder != current_generation(index_dir) else None


def live_manifest_fields(index_dir: Path) -> dict:
    """The live generation's manifest as plain JSON, whatever its format; {} when none is readable."""
    folder = current_generation(index_dir)
    try:
        fields = json.loads((folder / "manifest.json").read_text()) if folder else {}
    except (OSError, ValueError):
        return {}
    return fields if isinstance(fields, dict) else {}


def recorded_articles_dir(index_dir: Path) -> Path | None:
    """The articles folder the live generation was built from; None if it records none."""
    recorded = live_manifest_fields(index_dir).get("articles_dir")
    return Path(recorded) if isinstance(recorded, str) and recorded else None


def open_index(
    index_dir: Path,
    *,
    model: str | None = None,
    generation: str | None = None,
    only: Collection[str] | None = None,
    searchable: bool = True,
) -> Index:
    """Open the live generation (or the one named `generation`), checking its manifest first;
    `IndexProblem` says how to fix it.

    A shard opens `only` some of its segments; a process that reads articles and paragraphs but
    never searches (the router in front of shards) opens them not `searchable`. Both score BM25
    with the collection's statistics.
    """
    hint = REBUILD_HINT.format(index=index_dir)
    folder = current_generation(index_dir) if generation is None else index_dir / generation
    if folder is None:
        raise IndexProblem(f"no index at {index_dir}: build it with: {hint.removesuffix(' --full')}")
    try:
        manifest = Manifest.read(folder)
    except FormatMismatch as mismatch:
        raise IndexProblem(
            f"index at {index_dir} has format {mismatch}, this version reads {FORMAT_VERSION}; rebuild it: {hint}"
        ) from None
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise IndexProblem(f"index at {index_dir} has no readable manifest ({error}); rebuild it: {hint}") from None
    if model is not None and manifest.model != model:
        raise IndexProblem(
            f"index at {index_dir} was built with model {manifest.model!r}, not {model!r}; rebuild it: {hint}"
        )
    whole = only is None and searchable
    if not whole and not (folder / CollectionStatistics.FILE).is_file():
        raise IndexProblem(f"index at {index_dir} was built before it could be sharded; rebuild it: {hint}")
    segments: list[Segment] = []
    try:
        for info, offsets in zip(manifest.segments, manifest.segment_offsets(), strict=True):
            if only is None or info.name in only:
                segments.append(Segment.open(folder / info.name, info, offsets))
        removed = np.load(folder / "removed.npy", mmap_mode="r") if manifest.removed_paragraphs else None
        collection = None if whole else CollectionStatistics.load(folder)
        keywords = KeywordSearch([s.keywords for s in segments] if searchable else [], collection)
        index = Index(folder, manifest, segments, removed, keywords)
        consistent = all(segment.is_whole(searchable=searchable) for segment in segments) and (
            removed is None or (len(removed) == manifest.rows and int(removed.sum()) == manifest.removed_paragraphs)
        )
    except (OSError, ValueError, RuntimeError, KeyError, TypeError, sqlite3.Error) as error:
        for segment in segments:
            segment.close()
        raise IndexProblem(f"index at {index_dir} is damaged ({error}); rebuild it: {hint}") from None
    if not consistent:
        index.close()
        raise IndexProblem(f"index at {index_dir} is inconsistent with its manifest; rebuild it: {hint}")
    return index


def stamped_name(prefix: str) -> str:
    """`prefix-<time>-<nanoseconds>`: a generation's or segment's folder name, unique and in time order."""
    return f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**9:09d}"


def new_generation_folder(index_dir: Path) -> Path:
    """A fresh, empty folder for the next generation (hidden until `publish`)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    folder = index_dir / stamped_name("gen")
    folder.mkdir()
    return folder


def _fsync_tree(folder: Path) -> None:
    for path in [*folder.rglob("*"), folder]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _point(index_dir: Path, pointer: str, folder: Path) -> None:
    """Make the file `pointer` name `folder`, in one atomic rename."""
    staged = index_dir / f".{pointer}.{os.getpid()}"
    staged.write_text(folder.name + "\n")
    os.replace(staged, index_dir / pointer)


def publish(index_dir: Path, folder: Path) -> None:
    """Make `folder` the live generation in one atomic rename; keep the one it replaces as PREVIOUS.

    Publishing the previous generation again is how a build is undone (and an undo redone).
    """
    _fsync_tree(folder)
    previous = current_generation(index_dir)
    if previous is not None:
        _point(index_dir, PREVIOUS, previous)
    _point(index_dir, CURRENT, folder)
    keep = {folder.name} | ({previous.name} if previous else set())
    for stale in index_dir.glob("gen-*"):
        if stale.name not in keep:
            shutil.rmtree(stale, ignore_errors=True)


class BuildInProgress(Exception):
    """Another build holds the index's lock."""


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index's build lock, or raise `BuildInProgress` at once if another build has it.

    The lock is an OS file lock: it is released when its process dies, even by SIGKILL.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildInProgress(
                f"another build is updating {index_dir}; wait for it to finish, then run this again"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
