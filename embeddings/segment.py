"""A segment: a run of the index's rows, written once by a build and never changed after.

    SEGMENT/store.sqlite                     articles, paragraph text, sentence spans and terms
    SEGMENT/sentence_owner.npy               the segment's paragraph row of each sentence row
    SEGMENT/paragraphs.faiss, sentences.faiss   the vectors, searchable (the one copy of them; an IVF
                                             table's float16 rows beside it, in *.faiss.f16.npy)
    SEGMENT/keywords/                        BM25 postings

A full build writes one segment; adding articles writes one more, holding only their
paragraphs, and the next generation links the earlier segments' files in unchanged. So adding
ten articles costs their paragraphs, not the index (docs/benchmarks.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from pathlib import Path

import numpy as np

from embeddings.articles import Article
from embeddings.keywords import KeywordIndex, terms
from embeddings.paragraphs import Paragraph
from embeddings.store import Offsets, ParagraphRow, ParagraphStore
from embeddings.vector_index import FaissIndex, create_vector_index, load_vector_index


@dataclass(frozen=True)
class SegmentInfo:
    """A segment as the manifest lists it."""

    name: str
    articles: int
    paragraphs: int
    sentences: int
    vector_index: dict[str, str]  # FAISS kind of "paragraphs" and "sentences"


@dataclass
class SegmentPlan:
    """The rows of one new segment, before any vector is computed."""

    articles: list[tuple[Article, int, int]] = field(default_factory=list)  # article, first row, count
    paragraphs: list[Paragraph] = field(default_factory=list)
    spans: list[list[tuple[int, int]]] = field(default_factory=list)

    def split(self, parts: int) -> list[SegmentPlan]:
        """The plan cut into up to `parts` plans of whole articles, about equal in paragraphs."""
        firsts = [first for _, first, _ in self.articles]
        cuts = [0]
        for part in range(1, parts):
            target = len(self.paragraphs) * part / parts
            cuts.append(max(cuts[-1], next((i for i, first in enumerate(firsts) if first >= target), len(firsts))))
        cuts.append(len(self.articles))
        plans = []
        for low, high in pairwise(cuts):
            if low == high:
                continue
            start = self.articles[low][1]
            stop = self.articles[high - 1][1] + self.articles[high - 1][2]
            plans.append(
                SegmentPlan(
                    [(article, first - start, count) for article, first, count in self.articles[low:high]],
                    self.paragraphs[start:stop],
                    self.spans[start:stop],
                )
            )
        return plans


@dataclass
class Segment:
    """One open segment, its rows numbered from `offsets`.

    What searching needs (vectors, postings) is read on first use, so a process that only reads
    paragraphs and articles, such as the router in front of shards, never loads it.
    """

    folder: Path
    info: SegmentInfo
    offsets: Offsets
    store: ParagraphStore

    @classmethod
    def open(cls, folder: Path, info: SegmentInfo, offsets: Offsets) -> Segment:
        """Open a segment's store; raises if it is missing."""
        return cls(folder, info, offsets, ParagraphStore(folder / "store.sqlite", offsets=offsets))

    @cached_property
    def sentence_owner(self) -> np.ndarray:
        """The segment's paragraph row of each of its sentence rows."""
        return np.load(self.folder / "sentence_owner.npy", mmap_mode="r")

    @cached_property
    def paragraph_index(self) -> FaissIndex:
        return load_vector_index(self.folder / "paragraphs.faiss")

    @cached_property
    def sentence_index(self) -> FaissIndex:
        return load_vector_index(self.folder / "sentences.faiss")

    @cached_property
    def keywords(self) -> KeywordIndex:
        return KeywordIndex.load(self.folder / "keywords")

    def is_whole(self, *, searchable: bool = True) -> bool:
        """True when every file holds the row counts the manifest lists (only the store's when not
        `searchable`: a process that does not search never reads the rest)."""
        if self.store.count_paragraphs() != self.info.paragraphs:
            return False
        return not searchable or (
            len(self.paragraph_index) == self.keywords.size == self.info.paragraphs
            and len(self.sentence_index) == len(self.sentence_owner) == self.info.sentences
        )

    def close(self) -> None:
        self.store.close()


def write_segment(
    folder: Path,
    plan: SegmentPlan,
    paragraph_matrix: np.ndarray,
    sentence_matrix: np.ndarray,
    vector_index: str,
) -> SegmentInfo:
    """Write every file of a segment from its plan and its vectors (sentences paragraph by paragraph)."""
    folder.mkdir(parents=True)
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
    np.save(folder / "sentence_owner.npy", np.array(sentence_owner, dtype=np.int32))
    kinds = {}
    for name, matrix in (("paragraphs", paragraph_matrix), ("sentences", sentence_matrix)):
        index = create_vector_index(vector_index, paragraph_matrix.shape[1], size=len(matrix))
        index.build(matrix)
        index.save(folder / f"{name}.faiss")
        kinds[name] = index.kind
    KeywordIndex.build(terms(p.text) for p in plan.paragraphs).save(folder / "keywords")
    return SegmentInfo(
        name=folder.name,
        articles=len(plan.articles),
        paragraphs=len(plan.paragraphs),
        sentences=len(sentence_owner),
        vector_index=kinds,
    )


def link_segment(source: Path, target: Path) -> None:
    """Give a new generation an earlier segment: hard links, no bytes copied (segments never change)."""
    for path in source.rglob("*"):
        destination = target / path.relative_to(source)
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, destination)
