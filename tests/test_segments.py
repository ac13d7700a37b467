"""Appending to a large index: new articles become one more segment, the rest is linked, not rewritten."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from embeddings.index import current_generation, open_index
from qa.library import library
from qa.retrieve import Retriever
from tests.conftest import SECOND_ARTICLE, TOWNS, StandInEncoder, quiet_build, town_article

CABLE_QUESTION = "How many cable strands were replaced?"


@pytest.fixture
def large_folder(articles_dir: Path) -> Path:
    """The seed and ten three-paragraph articles: 38 rows, so one more article is a small change."""
    for town in TOWNS:
        (articles_dir / f"{town.lower()}.txt").write_text(town_article(town), encoding="utf-8")
    return articles_dir


def inode(path: Path) -> int:
    return os.stat(path).st_ino


def test_adding_an_article_embeds_only_it_and_links_the_earlier_segment(
    large_folder: Path, tmp_path: Path, stand_in: StandInEncoder
):
    index = tmp_path / "index"
    assert quiet_build(large_folder, index, stand_in).paragraphs == 38
    before = current_generation(index)
    [first] = before.glob("seg-*")
    (large_folder / "bridge.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    report = quiet_build(large_folder, index, stand_in)
    assert report.appended and report.segments == 2
    assert (report.articles, report.paragraphs, report.embedded_paragraphs) == (12, 41, 3)
    after = current_generation(index)
    for name in ("store.sqlite", "paragraphs.faiss", "sentences.faiss", "keywords/rows.npy"):
        assert inode(after / first.name / name) == inode(first / name)  # linked, not written again
    manifest = open_index(index).manifest
    assert [s.paragraphs for s in manifest.segments] == [38, 3] and manifest.removed_paragraphs == 0
    [hit] = Retriever(index, encoder=stand_in).search(CABLE_QUESTION, k=1)
    assert "140 corroded" in hit.paragraph.text and hit.paragraph.article_id == "bridge.txt"
    assert quiet_build(large_folder, index, stand_in).up_to_date


def test_edits_and_removals_are_masked_until_a_full_build_compacts_them(
    large_folder: Path, tmp_path: Path, stand_in: StandInEncoder
):
    index = tmp_path / "index"
    (large_folder / "bridge.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    quiet_build(large_folder, index, stand_in)
    retriever = Retriever(index, encoder=stand_in)

    (large_folder / "bridge.txt").write_text(SECOND_ARTICLE.replace("140 corroded", "160 rusted"), encoding="utf-8")
    edited = quiet_build(large_folder, index, stand_in)
    assert edited.appended and (edited.embedded_paragraphs, edited.embedded_sentences) == (1, 1)
    assert (edited.articles, edited.paragraphs) == (12, 41)
    assert open_index(index).manifest.removed_paragraphs == 3
    hits = retriever.search(CABLE_QUESTION, k=41)
    assert "160 rusted" in hits[0].paragraph.text
    assert len(hits) == 41 and not any("140 corroded" in h.paragraph.text for h in hits)
    assert [p.text for p in retriever.article("bridge.txt").paragraphs][1].startswith("Engineers replaced 160")

    (large_folder / "arlow.txt").unlink()
    removed = quiet_build(large_folder, index, stand_in)
    assert removed.appended and removed.embedded_paragraphs == 0 and removed.paragraphs == 38
    assert "arlow.txt" not in {entry.id for entry in library(retriever.current_index())}
    assert retriever.article("arlow.txt") is None
    assert all("Arlow" not in h.paragraph.text for h in retriever.search("Arlow library on the market square", k=38))

    compacted = quiet_build(large_folder, index, stand_in, full=True)
    assert not compacted.appended and compacted.paragraphs == 38
    manifest = open_index(index).manifest
    assert len(manifest.segments) == 1 and manifest.removed_paragraphs == 0
    assert "160 rusted" in retriever.search(CABLE_QUESTION, k=1)[0].paragraph.text


def test_a_kept_article_that_repeats_a_removed_paragraph_keeps_it_searchable(
    large_folder: Path, tmp_path: Path, stand_in: StandInEncoder
):
    """A repeated paragraph is stored once, under its first article; removing that article must not lose it."""
    index = tmp_path / "index"
    quiet_build(large_folder, index, stand_in)
    repeated = town_article("Arlow").split("\n\n")[2]
    (large_folder / "digest.txt").write_text(f"Weekly digest\n\n{repeated}\n\nMore news next week.\n", encoding="utf-8")
    added = quiet_build(large_folder, index, stand_in)
    assert added.appended and added.duplicate_paragraphs == 1 and added.paragraphs == 39
    (large_folder / "arlow.txt").unlink()
    quiet_build(large_folder, index, stand_in)
    [hit] = Retriever(index, encoder=stand_in).search("What does the Arlow library lend?", k=1)
    assert hit.paragraph.text == repeated and hit.paragraph.article_id == "digest.txt"


def test_a_question_reads_the_generation_its_article_mask_was_made_for(
    large_folder: Path, tmp_path: Path, stand_in: StandInEncoder
):
    """A build published between making a mask over one generation's rows and searching must not
    shift the rows under it: the search takes the generation the mask was made for."""
    index = tmp_path / "index"
    (large_folder / "bridge.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    quiet_build(large_folder, index, stand_in)
    retriever = Retriever(index, encoder=stand_in)
    started = retriever.current_index()
    rows = started.article("bridge.txt").paragraph_rows
    allowed = np.zeros(started.rows, dtype=bool)
    allowed[rows.start : rows.stop] = True

    (large_folder / "bridge.txt").write_text(SECOND_ARTICLE.replace("140 corroded", "160 rusted"), encoding="utf-8")
    assert quiet_build(large_folder, index, stand_in).appended

    hits = retriever.search(CABLE_QUESTION, k=3, allowed=allowed, index=started)
    assert len(hits) == 3 and {h.paragraph.article_id for h in hits} == {"bridge.txt"}
    assert "140 corroded" in hits[0].paragraph.text
    assert "160 rusted" in retriever.search(CABLE_QUESTION, k=1)[0].paragraph.text  # the next question: the new one
