"""(Re)build the index from a folder of articles: `python -m embeddings.build`.

Incremental by content hash: a paragraph or sentence whose text was embedded before reuses its
vector from the live index, so only new or edited text meets the model, and an unchanged folder
writes nothing at all. A small change (up to `APPEND_SHARE` of the rows) is appended: the new
and edited articles become one more segment, the rows of removed and edited ones are masked, and
the earlier segments are linked in untouched. A larger change, too many segments, or `--full`
compacts everything into one segment, or into `--segments N` of about equal size: an index that
is to be served from N shards (see qa/sharded.py) needs at least N.

An index remembers the folder it was built from, so `--index X` alone updates X from its own
folder; another folder, or an empty one, replaces its articles only with `--replace`. The
generation before each build is kept, and `--undo` puts it back.
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import json
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from embeddings.articles import Article, Skipped, read_articles
from embeddings.cluster import ClusterProblem, ray_cluster
from embeddings.encoder import DEFAULT_MODEL, Encoder, ParagraphEncoder
from embeddings.index import (
    FORMAT_VERSION,
    BuildInProgress,
    FormatMismatch,
    Index,
    IndexProblem,
    Manifest,
    build_lock,
    current_generation,
    live_manifest_fields,
    new_generation_folder,
    open_index,
    previous_generation,
    publish,
    recorded_articles_dir,
    stamped_name,
)
from embeddings.keywords import CollectionStatistics, KeywordIndex
from embeddings.paragraphs import sentence_spans, split_article, text_hash
from embeddings.ray_encoder import RayEncoder, TextsWithSpans
from embeddings.segment import SegmentInfo, SegmentPlan, link_segment, write_segment
from embeddings.store import StoredParagraph

DEFAULT_ARTICLES = Path("seeds")
DEFAULT_INDEX = Path("index")
EMBED_CHUNK = 256  # small enough for a lively progress bar, large enough to batch well
APPEND_SHARE = 0.25  # a change of more rows than this share of the index is built in full, compacting it
SENTENCE_VECTORS = "late"  # pooled from the paragraph's pass (embeddings/encoder.py), recorded in the settings
MAX_APPENDED = 8  # searching many small segments costs a little per question each; compact beyond this


class IndexKept(ValueError):
    """The build left the index as it was; the message says why and which flag goes ahead anyway."""


class DiskFull(IndexKept):
    """No room on the disk for the new generation: nothing of it is left behind."""


@dataclass
class BuildReport:
    """What a build did, for its summary line and for tests."""

    articles_dir: Path | None = None  # the folder read, absolute
    articles: int = 0
    paragraphs: int = 0
    sentences: int = 0
    embedded_paragraphs: int = 0
    embedded_sentences: int = 0  # new sentence vectors, each from its paragraph's pass
    duplicate_paragraphs: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    up_to_date: bool = False
    appended: bool = False  # written as one more segment, the earlier ones untouched
    segments: int = 0
    vector_index: dict[str, str] = field(default_factory=dict)  # search kind of the segment written
    seconds: float = 0.0
    embedding_seconds: float = 0.0  # of `seconds`, the model's share
    undo: str = ""  # the command that puts back the index as it was before this build, if it changed it

    def summary(self) -> str:
        if self.up_to_date:
            head = f"index is up to date: {self.articles} articles, {self.paragraphs} paragraphs"
        else:
            written = (
                "; vector search: " + ", ".join(f"{vectors} {kind}" for vectors, kind in self.vector_index.items())
                if self.vector_index
                else ""
            )
            how = (
                f"added as segment {self.segments}"
                if self.appended
                else "in one segment"
                if self.segments == 1
                else f"in {self.segments} segments"
            )
            head = (
                f"indexed {self.articles} articles, {self.paragraphs} paragraphs, {self.sentences} sentences"
                f" ({self.embedded_paragraphs} paragraphs and {self.embedded_sentences} sentences embedded,"
                f" the rest reused; {how}){written}"
            )
        skipped = f"; skipped {len(self.skipped)} (listed above)" if self.skipped else ""
        return f"{head}{skipped} in {self.seconds:.1f} s"

    def undo_line(self) -> str:
        """For a command line's report: how to put the index back as it was before this build."""
        return f"the index as it was before is kept; to go back to it: {self.undo}"


def plan_rows(
    articles: Iterable[Article],
    encoder: ParagraphEncoder,
    report: BuildReport,
    *,
    indexed: Callable[[str], bool] = lambda digest: False,
) -> SegmentPlan:
    """Split the articles into the rows of a new segment, each paragraph once.

    `indexed` says a paragraph's text is already live elsewhere in the index, so it is not
    stored twice.
    """
    plan = SegmentPlan()
    seen: set[str] = set()
    for article in articles:
        first = len(plan.paragraphs)
        for paragraph in split_article(article, count_pieces=encoder.count_pieces, max_pieces=encoder.max_pieces):
            if paragraph.hash in seen or indexed(paragraph.hash):
                report.duplicate_paragraphs += 1
                continue
            seen.add(paragraph.hash)
            plan.paragraphs.append(paragraph)
            plan.spans.append(sentence_spans(paragraph.text))
        if len(plan.paragraphs) > first:
            plan.articles.append((article, first, len(plan.paragraphs) - first))
    return plan


def unique_texts(plan: SegmentPlan) -> tuple[dict[str, str], dict[str, str]]:
    """The paragraph and sentence texts the plan needs vectors for, each once, by hash."""
    paragraph_texts = {p.hash: p.text for p in plan.paragraphs}
    sentence_texts: dict[str, str] = {}
    for paragraph, spans in zip(plan.paragraphs, plan.spans, strict=True):
        for start, end in spans:
            sentence = paragraph.text[start:end]
            sentence_texts.setdefault(text_hash(sentence), sentence)
    return paragraph_texts, sentence_texts


VectorKey = tuple[int, str, int, list[str]]  # row, paragraph hash, first sentence row, sentence texts


def reusable_vectors(
    index: Index, keys: Iterable[VectorKey], paragraph_texts: dict[str, str], sentence_texts: dict[str, str]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The vectors `index` already holds for texts the plan needs, by hash; only those are read."""
    paragraph_rows: dict[str, int] = {}
    sentence_rows: dict[str, int] = {}
    for row, digest, first_sentence, sentences in keys:
        if digest in paragraph_texts:
            paragraph_rows.setdefault(digest, row)
        for offset, sentence in enumerate(sentences):
            sentence_digest = text_hash(sentence)
            if sentence_digest in sentence_texts:
                sentence_rows.setdefault(sentence_digest, first_sentence + offset)
    paragraph_vectors = index.paragraph_vectors(np.fromiter(paragraph_rows.values(), dtype=np.int64))
    sentence_vectors = index.sentence_vectors(np.fromiter(sentence_rows.values(), dtype=np.int64))
    return dict(zip(paragraph_rows, paragraph_vectors, strict=True)), dict(
        zip(sentence_rows, sentence_vectors, strict=True)
    )


def _key(paragraph: StoredParagraph) -> VectorKey:
    sentences = [paragraph.text[start:end] for start, end in paragraph.sentence_spans]
    return paragraph.row, paragraph.hash, paragraph.first_sentence, sentences


def _open_live(index_dir: Path, model: str, log: Callable[[str], None]) -> Index | None:
    """The live generation, to reuse; None before the first build or when it cannot be reused."""
    if current_generation(index_dir) is None:
        return None
    try:
        return open_index(index_dir, model=model)
    except IndexProblem as problem:
        log(f"not reusing the previous index: {str(problem).split('; rebuild it')[0]}; embedding everything")
        return None


@dataclass
class Change:
    """An update small enough to append: the new segment's plan and the rows it retires."""

    plan: SegmentPlan
    removed: np.ndarray  # over the index's rows, after this change
    gone: list[StoredParagraph]  # the live paragraphs of removed and edited articles
    gone_articles: int


def plan_change(live: Index, articles: list[Article], encoder: ParagraphEncoder) -> tuple[Change | None, BuildReport]:
    """The appendable change from `live` to `articles`, or None when a full build is due."""
    report = BuildReport()
    if len(live.segments) - live.manifest.settings.get("segments", 1) >= MAX_APPENDED:
        return None, report
    current = {entry.article.id: entry for entry in live.articles()}
    incoming = {article.id for article in articles}
    changed = [a for a in articles if a.id not in current or current[a.id].article.content_hash != a.content_hash]
    gone_entries = [e for article_id, e in current.items() if article_id not in incoming] + [
        current[a.id] for a in changed if a.id in current
    ]
    gone_rows = [row for entry in gone_entries for row in entry.paragraph_rows]
    if len(gone_rows) > APPEND_SHARE * max(live.manifest.paragraphs, 1):
        return None, report
    gone = live.paragraphs(gone_rows)
    changed_ids = {a.id for a in changed}
    unchanged = (a for a in articles if a.id in current and a.id not in changed_ids)
    if gone and {p.hash for p in gone} & {text_hash(text) for a in unchanged for text in a.paragraphs}:
        return None, report  # a kept article repeats a removed paragraph, stored only once: re-plan in full
    removed = np.zeros(live.rows, dtype=bool) if live.removed is None else np.array(live.removed)
    removed[gone_rows] = True
    plan = plan_rows(
        changed, encoder, report, indexed=lambda digest: any(not removed[r] for r in live.rows_with_hash(digest))
    )
    if len(plan.paragraphs) + int(removed.sum()) > APPEND_SHARE * max(live.manifest.paragraphs, 1):
        return None, report
    return Change(plan, removed, gone, len(gone_entries)), report


def _embed(
    wanted: dict[str, tuple[str, list[tuple[int, int]]]], encoder: ParagraphEncoder, progress: bool
) -> dict[str, np.ndarray]:
    """For each paragraph hash in `wanted` (its text and sentence spans), its vector and then its
    sentences' from one pass of the model, with a progress bar."""
    from tqdm import tqdm

    # Shortest first: batches of similar length carry little padding, as when the model sorts
    # one big call itself, while the chunks keep the progress bar moving.
    order = sorted(wanted, key=lambda digest: len(wanted[digest][0]))
    vectors: dict[str, np.ndarray] = {}
    if order:
        encoder.load()  # before the bar starts, so its rate is the encoder's alone
        chunks = [order[start : start + EMBED_CHUNK] for start in range(0, len(order), EMBED_CHUNK)]
        with tqdm(total=len(order), desc="embedding", unit="paragraph", disable=not progress) as bar:
            for number, rows in encoded_chunks(encoder, [[wanted[digest] for digest in chunk] for chunk in chunks]):
                bounds = np.cumsum([0, *(1 + len(wanted[digest][1]) for digest in chunks[number])])
                vectors.update(
                    (digest, rows[start:stop])
                    for digest, (start, stop) in zip(chunks[number], pairwise(bounds), strict=True)
                )
                bar.update(len(chunks[number]))
    return vectors


@runtime_checkable
class ChunkEncoder(Protocol):
    """An encoder that takes many chunks at once and returns them as each is done, in any order
    (`embeddings.ray_encoder.RayEncoder`: a cluster works on several chunks together)."""

    def encode_chunks(self, chunks: Sequence[TextsWithSpans]) -> Iterator[tuple[int, np.ndarray]]: ...


def encoded_chunks(encoder: ParagraphEncoder, chunks: list[TextsWithSpans]) -> Iterator[tuple[int, np.ndarray]]:
    """Each chunk's number and vectors (each text's, then its sentences'): all chunks handed over
    at once where the encoder can take them, else one after the other."""
    if isinstance(encoder, ChunkEncoder):
        yield from encoder.encode_chunks(chunks)
        return
    for number, chunk in enumerate(chunks):
        yield number, encoder.encode_with_sentences([text for text, _ in chunk], [spans for _, spans in chunk])


def articles_folder(index_dir: Path, given: Path | None, *, replace: bool = False) -> Path:
    """The folder to build `index_dir` from: `given`, else the one the index records.

    `IndexKept` when `given` is another folder than the recorded one and `replace` is not set,
    or when nothing is given and the index records no folder.
    """
    recorded = recorded_articles_dir(index_dir)
    if given is None:
        if recorded is not None:
            return recorded
        if current_generation(index_dir) is None:
            return DEFAULT_ARTICLES.resolve()
        raise IndexKept(f"the index at {index_dir} does not record its articles folder; pass --articles DIR once")
    given = given.resolve()
    if recorded is not None and given != recorded and not replace:
        raise IndexKept(
            f"the index at {index_dir} holds the articles of {recorded}, not {given}; nothing changed:"
            f" pass --replace to replace them with those of {given}"
        )
    return given


def build_index(
    articles_dir: Path | None,
    index_dir: Path,
    *,
    encoder: ParagraphEncoder | None = None,
    full: bool = False,
    replace: bool = False,
    vector_index: str = "auto",
    segments: int | None = None,
    fusion: dict[str, float] | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> BuildReport:
    """Bring the index at `index_dir` up to date with the articles under `articles_dir`.

    `fusion`, the ranking's weights, goes into the manifest as given: the code that ranks knows
    them, this package does not. None keeps what the live index records ({} when there is none,
    and the ranking uses its defaults). They are no part of the segments: new weights alone write
    a generation that links the same segments.

    `segments` is how many segments a full build writes (None: as many as the live index was
    built with, else one); a different number than the live index's builds in full.

    `articles_dir` None means the folder the index records (see `articles_folder`). Without
    `replace`, an index is never emptied by a folder with no articles in it (`IndexKept`).
    """
    started = time.perf_counter()
    encoder = encoder or Encoder()
    with build_lock(index_dir):
        articles_dir = articles_folder(index_dir, articles_dir, replace=replace)
        if not articles_dir.is_dir():
            raise FileNotFoundError(
                f"articles folder {articles_dir} does not exist; nothing changed: create it or pass --articles DIR"
            )
        skipped: list[Skipped] = []
        articles: list[Article] = []
        for item in read_articles(articles_dir):
            if isinstance(item, Skipped):
                skipped.append(item)
                log(str(item))
            else:
                articles.append(item)
        recorded = live_manifest_fields(index_dir).get("settings") or {}
        segments = segments or recorded.get("segments", 1)
        settings = {
            "max_pieces": encoder.max_pieces,
            "vector_index": vector_index,
            "segments": segments,
            "sentence_vectors": SENTENCE_VECTORS,
        }
        source_digest = hashlib.sha1(json.dumps([(a.id, a.content_hash) for a in articles]).encode()).hexdigest()
        _keep_unless_replacing(index_dir, articles_dir, articles, replace)
        live = None if full else _open_live(index_dir, encoder.model_name, log)
        try:
            if fusion is None:
                fusion = {} if live is None else live.manifest.fusion
            same_settings = live is not None and {"segments": 1, **live.manifest.settings} == settings
            built_as = (source_digest, fusion, str(articles_dir))
            if (
                same_settings
                and (live.manifest.source_digest, live.manifest.fusion, live.manifest.articles_dir) == built_as
            ):
                report = BuildReport(articles=live.manifest.articles, paragraphs=live.manifest.paragraphs)
                report.up_to_date = True
            else:
                change, report = plan_change(live, articles, encoder) if same_settings else (None, BuildReport())
                if change is None:
                    report = BuildReport()
                    plan = plan_rows(articles, encoder, report)
                else:
                    plan = change.plan

                def write(folder: Path) -> None:
                    if change is None:
                        written = _write_full(folder, plan, live, encoder, settings, report, progress)
                    else:
                        written = _write_appended(folder, change, live, encoder, vector_index, report, progress)
                    _collection_statistics(folder, written, live).save(folder)
                    _manifest(written, report, encoder, settings, fusion, source_digest, articles_dir).write(folder)

                had_one = current_generation(index_dir) is not None
                publish_new_generation(index_dir, write, needed=generation_bytes(plan, encoder.dimension))
                report.undo = f"python -m embeddings.build --index {index_dir} --undo" if had_one else ""
        finally:
            if live is not None:
                live.close()
    report.articles_dir = articles_dir
    report.skipped = skipped
    report.seconds = time.perf_counter() - started
    return report


def generation_bytes(plan: SegmentPlan, dimension: int) -> int:
    """About what writing `plan` as a segment takes on disk: float32 vectors for every paragraph
    and sentence, and the text about four times over (store, sentence offsets, keyword postings)."""
    sentences = sum(len(spans) for spans in plan.spans)
    text = sum(len(paragraph.text.encode()) for paragraph in plan.paragraphs)
    return (len(plan.paragraphs) + sentences) * (dimension * 4 + 64) + 4 * text + 64_000


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _is_disk_full(error: BaseException) -> bool:
    """Out of space, as the OS, SQLite or FAISS say it."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    message = str(error).lower()
    return isinstance(error, sqlite3.Error | RuntimeError) and ("disk is full" in message or "no space" in message)


def _folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file() and path.stat().st_nlink == 1)


def publish_new_generation(index_dir: Path, write: Callable[[Path], None], *, needed: int) -> None:
    """Write a generation with `write(folder)` and publish it, or leave nothing of it behind.

    `DiskFull` before anything is embedded when the disk has less than `needed` bytes free, or
    when it fills up while writing; the live generation stays as it was in both cases.
    """
    free = shutil.disk_usage(index_dir).free
    if free < needed:
        raise DiskFull(
            f"no space for the index at {index_dir}: this build needs about {_megabytes(needed)} and"
            f" {_megabytes(free)} is free; free some space and run it again (the index is kept as it was)"
        )
    folder = new_generation_folder(index_dir)
    try:
        write(folder)
        publish(index_dir, folder)
    except BaseException as error:
        if current_generation(index_dir) == folder:
            raise
        disk_full = _is_disk_full(error)
        written = _folder_bytes(folder) if disk_full else 0  # how far it got, for the message
        shutil.rmtree(folder, ignore_errors=True)
        if not disk_full:
            raise
        free = shutil.disk_usage(index_dir).free
        raise DiskFull(
            f"the disk of the index at {index_dir} filled up: this build needs more than"
            f" {_megabytes(max(needed, written))} and {_megabytes(free)} is free; free some space and run it"
            " again (the index is kept as it was)"
        ) from None


def _keep_unless_replacing(index_dir: Path, articles_dir: Path, articles: list[Article], replace: bool) -> None:
    """`IndexKept` when a folder with no readable article would empty an index that has some."""
    held = live_manifest_fields(index_dir).get("articles", 0)
    if not articles and not replace and isinstance(held, int) and held > 0:
        raise IndexKept(
            f"the folder {articles_dir} holds no article: nothing indexed, the index at {index_dir} keeps its"
            f" {held} articles (pass --replace to empty it)"
        )


def undo_build(index_dir: Path) -> str:
    """Put back the generation live before the last build (and, run again, redo it); says what is live."""
    with build_lock(index_dir):
        previous = previous_generation(index_dir)
        if previous is None:
            raise IndexKept(f"nothing to undo at {index_dir}: no earlier build of it is kept")
        try:
            manifest = Manifest.read(previous)
        except (FormatMismatch, OSError, ValueError, TypeError, KeyError) as error:
            raise IndexKept(f"the earlier build at {previous} cannot be read ({error}); nothing changed") from None
        publish(index_dir, previous)
    origin = f" from {manifest.articles_dir}" if manifest.articles_dir else ""
    return (
        f"restored the build of {manifest.built_at}: {manifest.articles} articles, {manifest.paragraphs} paragraphs"
        f"{origin}; run --undo again to go back"
    )


Reuse = Callable[[dict[str, str], dict[str, str]], tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]


def _embed_plan(
    plan: SegmentPlan, reuse: Reuse, encoder: ParagraphEncoder, report: BuildReport, progress: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The plan's paragraph and sentence matrices: the vectors `reuse` finds, the rest from the
    model's pass over each paragraph lacking its own vector or one of its sentences'."""
    paragraph_texts, sentence_texts = unique_texts(plan)
    paragraph_vectors, sentence_vectors = reuse(paragraph_texts, sentence_texts)
    wanted: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    for paragraph, spans in zip(plan.paragraphs, plan.spans, strict=True):
        sentence_hashes = [text_hash(paragraph.text[start:end]) for start, end in spans]
        if paragraph.hash not in paragraph_vectors or not all(h in sentence_vectors for h in sentence_hashes):
            wanted.setdefault(paragraph.hash, (paragraph.text, spans))
    embedding_started = time.perf_counter()
    embedded = _embed(wanted, encoder, progress)
    report.embedding_seconds = time.perf_counter() - embedding_started
    reused_sentences = sentence_vectors.keys() & sentence_texts.keys()
    for digest, (text, spans) in wanted.items():
        paragraph_vectors.setdefault(digest, embedded[digest][0])
        for (start, end), vector in zip(spans, embedded[digest][1:], strict=True):
            sentence_vectors.setdefault(text_hash(text[start:end]), vector)  # a sentence text keeps one vector
    report.embedded_paragraphs = len(wanted)
    report.embedded_sentences = len(sentence_texts.keys() - reused_sentences)
    return vector_matrices(plan, paragraph_vectors, sentence_vectors, encoder.dimension)


def _write_full(
    folder: Path,
    plan: SegmentPlan,
    live: Index | None,
    encoder: ParagraphEncoder,
    settings: dict,
    report: BuildReport,
    progress: bool,
) -> list[SegmentInfo]:
    """Every article in `settings["segments"]` segments (one by default), reusing any vector the live index has."""

    def reuse(paragraph_texts: dict[str, str], sentence_texts: dict[str, str]):
        if live is None:
            return {}, {}
        if live.manifest.settings.get("sentence_vectors") != SENTENCE_VECTORS:
            sentence_texts = {}  # made another way: the paragraphs' passes give them again
        return reusable_vectors(live, live.vector_keys(), paragraph_texts, sentence_texts)

    paragraph_matrix, sentence_matrix = _embed_plan(plan, reuse, encoder, report, progress)
    written, paragraphs, sentences = [], 0, 0
    for part in plan.split(settings["segments"]):
        sentence_count = sum(len(spans) for spans in part.spans)
        written.append(
            write_segment(
                folder / stamped_name("seg"),
                part,
                paragraph_matrix[paragraphs : paragraphs + len(part.paragraphs)],
                sentence_matrix[sentences : sentences + sentence_count],
                settings["vector_index"],
            )
        )
        paragraphs, sentences = paragraphs + len(part.paragraphs), sentences + sentence_count
    report.vector_index = written[0].vector_index if written else {}
    report.articles = sum(s.articles for s in written)
    report.paragraphs, report.sentences = paragraphs, sentences
    report.segments = len(written)
    return written


def _write_appended(
    folder: Path,
    change: Change,
    live: Index,
    encoder: ParagraphEncoder,
    vector_index: str,
    report: BuildReport,
    progress: bool,
) -> list[SegmentInfo]:
    """The live segments linked in unchanged, one more for the change, and the removed rows' mask."""

    def reuse(paragraph_texts: dict[str, str], sentence_texts: dict[str, str]):
        rows = {row for digest in paragraph_texts for row in live.rows_with_hash(digest)}
        keys = [_key(p) for p in [*change.gone, *live.paragraphs(sorted(rows))]]
        return reusable_vectors(live, keys, paragraph_texts, sentence_texts)

    segments = list(live.manifest.segments)
    for segment in segments:
        link_segment(live.folder / segment.name, folder / segment.name)
    if change.plan.paragraphs:
        paragraph_matrix, sentence_matrix = _embed_plan(change.plan, reuse, encoder, report, progress)
        segment = write_segment(
            folder / stamped_name("seg"), change.plan, paragraph_matrix, sentence_matrix, vector_index
        )
        report.vector_index = segment.vector_index
        segments.append(segment)
    if change.removed.any():
        new_rows = np.zeros(len(change.plan.paragraphs), dtype=bool)
        np.save(folder / "removed.npy", np.concatenate([change.removed, new_rows]))
    report.appended = True
    report.segments = len(segments)
    report.articles = live.manifest.articles - change.gone_articles + len(change.plan.articles)
    report.paragraphs = live.manifest.paragraphs - len(change.gone) + len(change.plan.paragraphs)
    report.sentences = (
        live.manifest.sentences
        - sum(len(p.sentence_spans) for p in change.gone)
        + sum(len(spans) for spans in change.plan.spans)
    )
    return segments


def _collection_statistics(folder: Path, written: list[SegmentInfo], live: Index | None) -> CollectionStatistics:
    """The new generation's BM25 statistics: linked segments' postings as the live index already
    holds them, new segments' read from where they were just written."""
    held = {} if live is None else {segment.info.name: segment.keywords for segment in live.segments}
    return CollectionStatistics.of(
        [held[s.name] if s.name in held else KeywordIndex.load(folder / s.name / "keywords") for s in written]
    )


def _manifest(
    segments: list[SegmentInfo],
    report: BuildReport,
    encoder: ParagraphEncoder,
    settings: dict,
    fusion: dict[str, float],
    source_digest: str,
    articles_dir: Path,
) -> Manifest:
    """The new generation's manifest; the counts are of live rows, as the report has them."""
    return Manifest(
        format_version=FORMAT_VERSION,
        model=encoder.model_name,
        model_path=str(encoder.path),
        dimension=encoder.dimension,
        normalised=True,
        segments=segments,
        articles=report.articles,
        paragraphs=report.paragraphs,
        sentences=report.sentences,
        removed_paragraphs=sum(s.paragraphs for s in segments) - report.paragraphs,
        built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        settings=settings,
        fusion=fusion,
        source_digest=source_digest,
        articles_dir=str(articles_dir),
    )


def vector_matrices(
    plan: SegmentPlan, paragraph_vectors: dict[str, np.ndarray], sentence_vectors: dict[str, np.ndarray], dimension: int
) -> tuple[np.ndarray, np.ndarray]:
    """The plan's vectors in row order: one per paragraph, and one per sentence, paragraph by paragraph."""
    paragraph_matrix = np.zeros((len(plan.paragraphs), dimension), dtype=np.float32)
    for row, paragraph in enumerate(plan.paragraphs):
        paragraph_matrix[row] = paragraph_vectors[paragraph.hash]
    sentence_hashes = [
        text_hash(paragraph.text[start:end])
        for paragraph, spans in zip(plan.paragraphs, plan.spans, strict=True)
        for start, end in spans
    ]
    sentence_matrix = np.zeros((len(sentence_hashes), dimension), dtype=np.float32)
    for row, digest in enumerate(sentence_hashes):
        sentence_matrix[row] = sentence_vectors[digest]
    return paragraph_matrix, sentence_matrix


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m embeddings.build", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--articles", type=Path, help="folder of articles (default: the one the index was built from; first: seeds)"
    )
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: index)")
    parser.add_argument(
        "--replace", action="store_true", help="replace the index's articles with another or an empty folder's"
    )
    parser.add_argument("--undo", action="store_true", help="put back the index as it was before the last build")
    parser.add_argument("--full", action="store_true", help="embed everything again, reusing nothing")
    parser.add_argument(
        "--vector-index",
        choices=("auto", "flat", "hnsw", "ivf"),
        default="auto",
        help="FAISS index type; auto picks exact search for small collections, HNSW from 20,000 vectors"
        " and IVF from a million (default: auto)",
    )
    parser.add_argument(
        "--segments",
        type=int,
        metavar="N",
        help="write a full build as N segments of about equal size, to serve from up to N shards"
        " (default: as the index was built, else 1)",
    )
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"embedding model (default: {DEFAULT_MODEL})")
    parser.add_argument("--strict", action="store_true", help="exit non-zero if any file was skipped")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument(
        "--ray",
        metavar="local|ADDRESS",
        help="embed on a Ray cluster: local starts one here for the build, an address joins a running one"
        " (pip install -r requirements-ray.txt)",
    )
    args = parser.parse_args(argv)
    if args.segments is not None and args.segments < 1:
        parser.error("--segments must be at least 1")
    if args.undo:
        try:
            print(undo_build(args.index))
        except (BuildInProgress, IndexKept) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        return 0
    try:
        with ray_cluster(args.ray) if args.ray else nullcontext():
            report = build_index(
                args.articles,
                args.index,
                encoder=RayEncoder(args.model) if args.ray else Encoder(args.model),
                full=args.full,
                replace=args.replace,
                vector_index=args.vector_index,
                segments=args.segments,
                progress=not args.quiet,
                log=lambda line: print(line, file=sys.stderr),
            )
    except (BuildInProgress, FileNotFoundError, ValueError, ClusterProblem) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report.summary())
    if report.undo:
        print(report.undo_line())
    if report.paragraphs == 0:
        print(f"error: nothing could be indexed from {report.articles_dir}", file=sys.stderr)
        return 1
    return 1 if args.strict and report.skipped else 0


if __name__ == "__main__":
    sys.exit(main())
