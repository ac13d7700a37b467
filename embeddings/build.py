"""(Re)build the index from a folder of articles: `python -m embeddings.build`.

Incremental by content hash: a paragraph or sentence whose text was embedded before reuses its
vector from the live index, so only new or edited text meets the model, and an unchanged folder
writes nothing at all. Removed articles simply are not in the new generation.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from embeddings.articles import Article, Skipped, read_articles
from embeddings.encoder import DEFAULT_MODEL, Encoder
from embeddings.index import (
    FORMAT_VERSION,
    BuildInProgress,
    FusionWeights,
    IndexProblem,
    Manifest,
    build_lock,
    current_generation,
    new_generation_folder,
    open_index,
    publish,
)
from embeddings.keywords import KeywordIndex, terms
from embeddings.paragraphs import Paragraph, sentence_spans, split_article, text_hash
from embeddings.store import ParagraphRow, ParagraphStore
from embeddings.vector_index import create_vector_index

DEFAULT_ARTICLES = Path("seeds")
DEFAULT_INDEX = Path("index")
EMBED_CHUNK = 256  # small enough for a lively progress bar, large enough to batch well


@dataclass
class BuildReport:
    """What a build did, for its summary line and for tests."""

    articles: int = 0
    paragraphs: int = 0
    sentences: int = 0
    embedded_paragraphs: int = 0
    embedded_sentences: int = 0
    duplicate_paragraphs: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    up_to_date: bool = False
    vector_index: dict[str, str] = field(default_factory=dict)  # search kind, for paragraphs and sentences
    seconds: float = 0.0
    embedding_seconds: float = 0.0  # of `seconds`, the model's share

    def summary(self) -> str:
        if self.up_to_date:
            head = f"index is up to date: {self.articles} articles, {self.paragraphs} paragraphs"
        else:
            head = (
                f"indexed {self.articles} articles, {self.paragraphs} paragraphs, {self.sentences} sentences"
                f" ({self.embedded_paragraphs} paragraphs and {self.embedded_sentences} sentences embedded,"
                f" the rest reused); vector search: "
                + ", ".join(f"{vectors} {kind}" for vectors, kind in self.vector_index.items())
            )
        skipped = f"; skipped {len(self.skipped)} (listed above)" if self.skipped else ""
        return f"{head}{skipped} in {self.seconds:.1f} s"


@dataclass
class BuildPlan:
    """The next generation's rows, before any vector is computed."""

    articles: list[tuple[Article, int, int]] = field(default_factory=list)  # article, first row, count
    paragraphs: list[Paragraph] = field(default_factory=list)
    spans: list[list[tuple[int, int]]] = field(default_factory=list)


def plan_rows(articles: Iterable[Article], encoder: Encoder, report: BuildReport) -> BuildPlan:
    """Split the articles into the rows of the next generation, each paragraph once."""
    plan = BuildPlan()
    seen: set[str] = set()
    for article in articles:
        first = len(plan.paragraphs)
        for paragraph in split_article(article, count_pieces=encoder.count_pieces, max_pieces=encoder.max_pieces):
            if paragraph.hash in seen:
                report.duplicate_paragraphs += 1
                continue
            seen.add(paragraph.hash)
            plan.paragraphs.append(paragraph)
            plan.spans.append(sentence_spans(paragraph.text))
        if len(plan.paragraphs) > first:
            plan.articles.append((article, first, len(plan.paragraphs) - first))
    return plan


def unique_texts(plan: BuildPlan) -> tuple[dict[str, str], dict[str, str]]:
    """The paragraph and sentence texts the plan needs vectors for, each once, by hash."""
    paragraph_texts = {p.hash: p.text for p in plan.paragraphs}
    sentence_texts: dict[str, str] = {}
    for paragraph, spans in zip(plan.paragraphs, plan.spans, strict=True):
        for start, end in spans:
            sentence = paragraph.text[start:end]
            sentence_texts.setdefault(text_hash(sentence), sentence)
    return paragraph_texts, sentence_texts


class _VectorCache:
    """Vectors of the live generation, keyed by the hash of the text they embed.

    Reads only the manifest, the store and the vector files, so vectors are reused even from a
    generation of an older format or with a damaged search index; anything unreadable means
    starting afresh, with a line saying why. The vectors are read only when a build needs them,
    so an unchanged folder is recognised from the manifest alone.
    """

    def __init__(self, index_dir: Path, model: str, full: bool, log: Callable[[str], None]) -> None:
        self.index_dir = index_dir
        self.log = log
        self.paragraphs: dict[str, np.ndarray] = {}
        self.sentences: dict[str, np.ndarray] = {}
        self.manifest: dict = {}  # as written, so that a manifest of an older format still reads
        self.folder = None if full else current_generation(index_dir)
        if self.folder is None:
            return
        try:
            manifest = json.loads((self.folder / "manifest.json").read_text())
        except (OSError, ValueError) as error:
            self.folder = None
            log(f"not reusing the previous index at {index_dir}: it is unreadable ({error}); embedding everything")
            return
        if manifest.get("model") != model:
            self.folder = None
            log(f"not reusing the previous index: it was built with model {manifest.get('model')!r}, not {model!r}")
            return
        self.manifest = manifest

    def load(self) -> None:
        """Read the previous generation's vectors, to reuse them."""
        if self.folder is None:
            return
        try:
            store = ParagraphStore(self.folder / "store.sqlite")
            try:
                paragraph_vectors = np.load(self.folder / "paragraphs.npy", mmap_mode="r")
                sentence_vectors = np.load(self.folder / "sentences.npy", mmap_mode="r")
                for row, digest, first_sentence, sentences in store.vector_keys():
                    self.paragraphs[digest] = paragraph_vectors[row]
                    for offset, sentence in enumerate(sentences):
                        self.sentences[text_hash(sentence)] = sentence_vectors[first_sentence + offset]
            finally:
                store.close()
        except (OSError, ValueError, TypeError, KeyError, IndexError, sqlite3.Error) as error:
            self.paragraphs, self.sentences = {}, {}
            self.log(
                f"not reusing the previous index at {self.index_dir}: it is unreadable ({error}); embedding everything"
            )

    def is_current(self, source_digest: str, settings: dict, fusion: dict) -> bool:
        """True when the live generation was built, this way, from exactly these articles."""
        return (
            self.manifest.get("format_version") == FORMAT_VERSION
            and self.manifest.get("source_digest") == source_digest
            and self.manifest.get("settings") == settings
            and self.manifest.get("fusion") == fusion
        )


def _opens(index_dir: Path, model: str, log: Callable[[str], None]) -> bool:
    """True when the live generation opens whole; a damaged one is reported and rebuilt."""
    try:
        open_index(index_dir, model=model).close()
    except IndexProblem as problem:
        log(f"rebuilding: {problem}")
        return False
    return True


def _embed(
    texts: dict[str, str], cache: dict[str, np.ndarray], encoder: Encoder, unit: str, progress: bool
) -> tuple[dict[str, np.ndarray], int]:
    """Vectors for every hash in `texts`: cached ones reused, the others encoded with a progress bar."""
    from tqdm import tqdm

    # Shortest first: batches of similar length carry little padding, as when the model sorts
    # one big call itself, while the chunks keep the progress bar moving.
    missing = sorted((h for h in texts if h not in cache), key=lambda h: len(texts[h]))
    vectors = {h: cache[h] for h in texts if h in cache}
    if missing:
        encoder.load()  # before the bar starts, so its rate is the encoder's alone
        with tqdm(total=len(missing), desc=f"embedding {unit}", unit=unit[:-1], disable=not progress) as bar:
            for start in range(0, len(missing), EMBED_CHUNK):
                chunk = missing[start : start + EMBED_CHUNK]
                for digest, vector in zip(chunk, encoder.encode([texts[h] for h in chunk]), strict=True):
                    vectors[digest] = vector
                bar.update(len(chunk))
    return vectors, len(missing)


def build_index(
    articles_dir: Path,
    index_dir: Path,
    *,
    encoder: Encoder | None = None,
    full: bool = False,
    vector_index: str = "auto",
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> BuildReport:
    """Bring the index at `index_dir` up to date with the articles under `articles_dir`."""
    started = time.perf_counter()
    encoder = encoder or Encoder()
    report = BuildReport()
    if not articles_dir.is_dir():
        raise FileNotFoundError(f"articles folder {articles_dir} does not exist; create it or pass --articles DIR")
    with build_lock(index_dir):
        cache = _VectorCache(index_dir, encoder.model_name, full, log)
        articles: list[Article] = []
        for item in read_articles(articles_dir):
            if isinstance(item, Skipped):
                report.skipped.append(item)
                log(str(item))
            else:
                articles.append(item)
        settings = {"max_pieces": encoder.max_pieces, "vector_index": vector_index}
        source_digest = hashlib.sha1(json.dumps([(a.id, a.content_hash) for a in articles]).encode()).hexdigest()
        fusion = asdict(FusionWeights())
        if cache.is_current(source_digest, settings, fusion) and _opens(index_dir, encoder.model_name, log):
            report.articles, report.paragraphs = cache.manifest["articles"], cache.manifest["paragraphs"]
            report.up_to_date = True
            report.seconds = time.perf_counter() - started
            return report

        cache.load()
        plan = plan_rows(articles, encoder, report)
        paragraph_texts, sentence_texts = unique_texts(plan)
        embedding_started = time.perf_counter()
        paragraph_vectors, report.embedded_paragraphs = _embed(
            paragraph_texts, cache.paragraphs, encoder, "paragraphs", progress
        )
        sentence_vectors, report.embedded_sentences = _embed(
            sentence_texts, cache.sentences, encoder, "sentences", progress
        )
        report.embedding_seconds = time.perf_counter() - embedding_started
        dimension = len(next(iter(paragraph_vectors.values()))) if paragraph_vectors else encoder.dimension
        folder = new_generation_folder(index_dir)
        paragraph_matrix, sentence_matrix = vector_matrices(plan, paragraph_vectors, sentence_vectors, dimension)
        write_generation(folder, plan, paragraph_matrix, sentence_matrix, vector_index, report)
        Manifest(
            format_version=FORMAT_VERSION,
            model=encoder.model_name,
            model_path=str(encoder.path),
            dimension=dimension,
            normalised=True,
            vector_index=report.vector_index,
            articles=report.articles,
            paragraphs=report.paragraphs,
            sentences=report.sentences,
            built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            settings=settings,
            fusion=fusion,
            source_digest=source_digest,
        ).write(folder)
        publish(index_dir, folder)
    report.seconds = time.perf_counter() - started
    return report


def vector_matrices(
    plan: BuildPlan, paragraph_vectors: dict[str, np.ndarray], sentence_vectors: dict[str, np.ndarray], dimension: int
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


def write_generation(
    folder: Path,
    plan: BuildPlan,
    paragraph_matrix: np.ndarray,
    sentence_matrix: np.ndarray,
    vector_index: str,
    report: BuildReport,
) -> None:
    """Write every file of a generation but its manifest: store, vectors, FAISS and BM25."""
    store = ParagraphStore(folder / "store.sqlite", create=True)
    sentence_owner: list[int] = []
    paragraph_rows: list[ParagraphRow] = []
    for article_row, (article, first, count) in enumerate(plan.articles):
        store.write_article(article_row, article, first, count)
        for row in range(first, first + count):
            paragraph = plan.paragraphs[row]
            spans = plan.spans[row]
            paragraph_rows.append(
                ParagraphRow(
                    row=row, article_row=article_row, number=paragraph.number, part=paragraph.part,
                    text=paragraph.text, hash=paragraph.hash, first_sentence=len(sentence_owner), spans=spans,
                    sentence_terms=[terms(paragraph.text[start:end]) for start, end in spans],
                )
            )  # fmt: skip
            sentence_owner.extend([row] * len(spans))
    store.write_paragraphs(paragraph_rows)
    store.commit()
    store.close()
    np.save(folder / "paragraphs.npy", paragraph_matrix)
    np.save(folder / "sentences.npy", sentence_matrix)
    np.save(folder / "sentence_owner.npy", np.array(sentence_owner, dtype=np.int32))
    dimension = paragraph_matrix.shape[1]
    for name, matrix in (("paragraphs", paragraph_matrix), ("sentences", sentence_matrix)):
        index = create_vector_index(vector_index, dimension, size=len(matrix))
        index.build(matrix)
        index.save(folder / f"{name}.faiss")
        report.vector_index[name] = index.kind
    KeywordIndex.build([p.text for p in plan.paragraphs]).save(folder / "keywords")
    report.articles, report.paragraphs, report.sentences = len(plan.articles), len(plan.paragraphs), len(sentence_owner)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m embeddings.build", description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=DEFAULT_ARTICLES, help="folder of articles (default: seeds)")
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: index)")
    parser.add_argument("--full", action="store_true", help="embed everything again, reusing nothing")
    parser.add_argument(
        "--vector-index",
        choices=("auto", "flat", "hnsw"),
        default="auto",
        help="FAISS index type; auto picks exact search for small collections (default: auto)",
    )
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"embedding model (default: {DEFAULT_MODEL})")
    parser.add_argument("--strict", action="store_true", help="exit non-zero if any file was skipped")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    try:
        report = build_index(
            args.articles,
            args.index,
            encoder=Encoder(args.model),
            full=args.full,
            vector_index=args.vector_index,
            progress=not args.quiet,
            log=lambda line: print(line, file=sys.stderr),
        )
    except (BuildInProgress, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report.summary())
    if report.paragraphs == 0:
        print(f"error: nothing could be indexed from {args.articles}", file=sys.stderr)
        return 1
    return 1 if args.strict and report.skipped else 0


if __name__ == "__main__":
    sys.exit(main())
