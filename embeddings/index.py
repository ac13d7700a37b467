"""The index folder: immutable generations, swapped in atomically, each describing itself.

    INDEX/CURRENT                 name of the live generation (replaced atomically)
    INDEX/build.lock              held by the one build that may run at a time
    INDEX/gen-<time>/manifest.json  how it was built: format, model, dimension, counts, settings
    INDEX/gen-<time>/store.sqlite   articles, paragraph text, sentence spans
    INDEX/gen-<time>/paragraphs.npy, sentences.npy   unit vectors, row = store row
    INDEX/gen-<time>/sentence_owner.npy   the paragraph row of each sentence row
    INDEX/gen-<time>/paragraphs.faiss, sentences.faiss   vector indexes over them
    INDEX/gen-<time>/keywords/      BM25 over the paragraphs

A build writes a whole new generation and then replaces CURRENT, so a reader, or a build killed
half-way, only ever sees a complete generation. Readers notice a new CURRENT and reopen.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from embeddings.keywords import KeywordIndex
from embeddings.store import ParagraphStore
from embeddings.vector_index import FaissIndex, load_vector_index

FORMAT_VERSION = 3
CURRENT = "CURRENT"
LOCK = "build.lock"
REBUILD_HINT = "python -m embeddings.build --index {index} --full"


class IndexProblem(Exception):
    """An index that cannot be used; the message says what is wrong and which command fixes it."""


@dataclass(frozen=True)
class FusionWeights:
    """How retrieval weighs its features into one score (see qa/retrieve.py for the features).

    Kept in the manifest, so an index records how it is searched; the defaults were fitted on
    half of the SQuAD v1.1 dev articles by benchmarks/tune_fusion.py.
    """

    paragraph: float = 0.80
    sentence: float = 0.90
    keyword: float = 0.10
    coverage: float = 0.55
    sentence_coverage: float = 0.15
    sentence_match: float = 0.65
    sentence_phrase: float = 0.30


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model: str
    model_path: str
    dimension: int
    normalised: bool
    vector_index: dict[str, str]  # FAISS index kind for "paragraphs" and "sentences"
    articles: int
    paragraphs: int
    sentences: int
    built_at: str
    settings: dict
    fusion: dict
    source_digest: str  # of the ids and content hashes of the articles read, to spot a no-change build

    def write(self, folder: Path) -> None:
        (folder / "manifest.json").write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        data = json.loads((folder / "manifest.json").read_text())
        return cls(**data)


@dataclass
class Index:
    """One open generation: everything retrieval reads, memory-mapped where it can be."""

    folder: Path
    manifest: Manifest
    store: ParagraphStore
    paragraph_vectors: np.ndarray
    sentence_vectors: np.ndarray
    sentence_owner: np.ndarray  # paragraph row of each sentence row
    paragraph_index: FaissIndex
    sentence_index: FaissIndex
    keywords: KeywordIndex

    def close(self) -> None:
        self.store.close()


def current_generation(index_dir: Path) -> Path | None:
    """The live generation's folder, or None before the first build."""
    try:
        name = (index_dir / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    return index_dir / name


def open_index(index_dir: Path, *, model: str | None = None) -> Index:
    """Open the live generation, checking its manifest first; `IndexProblem` says how to fix it."""
    hint = REBUILD_HINT.format(index=index_dir)
    folder = current_generation(index_dir)
    if folder is None:
        raise IndexProblem(f"no index at {index_dir}: build it with: {hint.removesuffix(' --full')}")
    try:
        manifest = Manifest.read(folder)
    except (OSError, ValueError, TypeError) as error:
        raise IndexProblem(f"index at {index_dir} has no readable manifest ({error}); rebuild it: {hint}") from None
    if manifest.format_version != FORMAT_VERSION:
        raise IndexProblem(
            f"index at {index_dir} has format {manifest.format_version}, this version reads {FORMAT_VERSION};"
            f" rebuild it: {hint}"
        )
    if model is not None and manifest.model != model:
        raise IndexProblem(
            f"index at {index_dir} was built with model {manifest.model!r}, not {model!r}; rebuild it: {hint}"
        )
    try:
        index = Index(
            folder=folder,
            manifest=manifest,
            store=ParagraphStore(folder / "store.sqlite"),
            paragraph_vectors=np.load(folder / "paragraphs.npy", mmap_mode="r"),
            sentence_vectors=np.load(folder / "sentences.npy", mmap_mode="r"),
            sentence_owner=np.load(folder / "sentence_owner.npy", mmap_mode="r"),
            paragraph_index=load_vector_index(folder / "paragraphs.faiss"),
            sentence_index=load_vector_index(folder / "sentences.faiss"),
            keywords=KeywordIndex.load(folder / "keywords", empty=manifest.paragraphs == 0),
        )
        consistent = (
            len(index.paragraph_vectors) == len(index.paragraph_index) == index.keywords.size == manifest.paragraphs
            and len(index.sentence_vectors) == len(index.sentence_owner) == manifest.sentences
            and index.store.count_paragraphs() == manifest.paragraphs
        )
    except (OSError, ValueError, RuntimeError, KeyError, sqlite3.Error) as error:
        raise IndexProblem(f"index at {index_dir} is damaged ({error}); rebuild it: {hint}") from None
    if not consistent:
        index.close()
        raise IndexProblem(f"index at {index_dir} is inconsistent with its manifest; rebuild it: {hint}")
    return index


def new_generation_folder(index_dir: Path) -> Path:
    """A fresh, empty folder for the next generation (hidden until `publish`)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    folder = index_dir / f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**9:09d}"
    folder.mkdir()
    return folder


def _fsync_tree(folder: Path) -> None:
    for path in [*folder.rglob("*"), folder]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def publish(index_dir: Path, folder: Path) -> None:
    """Make `folder` the live generation in one atomic rename; keep one previous generation."""
    _fsync_tree(folder)
    previous = current_generation(index_dir)
    pointer = index_dir / f".{CURRENT}.{os.getpid()}"
    pointer.write_text(folder.name + "\n")
    os.replace(pointer, index_dir / CURRENT)
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
