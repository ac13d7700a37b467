"""The incremental build: reuse by content hash, edits, deletions, the manifest's guard."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from embeddings import vector_index
from embeddings.build import IndexKept, build_index, undo_build
from embeddings.encoder import Encoder
from embeddings.index import BuildInProgress, IndexProblem, build_lock, current_generation, open_index
from qa.answer import Answerer
from qa.retrieve import Retriever
from tests.conftest import ROOT, SECOND_ARTICLE, SEED_FILE, SEED_QUESTIONS, StandInEncoder, quiet_build


def test_unchanged_articles_embed_nothing_and_write_nothing(
    articles_dir: Path, tmp_path: Path, stand_in: StandInEncoder
):
    index = tmp_path / "index"
    first = quiet_build(articles_dir, index, stand_in)
    assert (first.articles, first.paragraphs, first.embedded_paragraphs) == (1, 8, 8)
    generation = current_generation(index)
    second = quiet_build(articles_dir, index, stand_in)
    assert second.up_to_date and second.embedded_paragraphs == 0 and second.embedded_sentences == 0
    assert current_generation(index) == generation


def test_the_model_reads_each_paragraph_once_and_its_sentences_come_from_that_pass(articles_dir: Path, tmp_path: Path):
    """Late chunking: one pass a paragraph gives its vector and its sentences'; no sentence is read again."""

    class CountingEncoder(StandInEncoder):
        def __init__(self) -> None:
            self.texts: list[str] = []

        def encode_with_sentences(self, texts, spans):
            self.texts += texts
            return super().encode_with_sentences(texts, spans)

    (articles_dir / "bridge.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    counting = CountingEncoder()
    report = quiet_build(articles_dir, tmp_path / "index", counting)
    index = open_index(tmp_path / "index")
    paragraphs = index.paragraphs(np.arange(index.rows))
    sentences = {p.text[start:end] for p in paragraphs for start, end in p.sentence_spans}
    assert sorted(counting.texts) == sorted(p.text for p in paragraphs)
    assert (report.embedded_paragraphs, report.embedded_sentences) == (len(paragraphs), len(sentences))
    for paragraph in paragraphs:
        passed = StandInEncoder().encode_with_sentences([paragraph.text], [paragraph.sentence_spans])
        rows = np.arange(paragraph.sentence_rows.start, paragraph.sentence_rows.stop)
        assert np.array_equal(index.sentence_vectors(rows), passed[1:])
        assert np.array_equal(index.paragraph_vectors(np.array([paragraph.row])), passed[:1])


def test_new_ranking_weights_alone_link_the_same_segments_and_embed_nothing(
    articles_dir: Path, tmp_path: Path, stand_in: StandInEncoder
):
    """The build records the weights it is given without reading them; none given keeps the recorded ones."""
    index = tmp_path / "index"
    quiet_build(articles_dir, index, stand_in)
    before = open_index(index).manifest
    assert before.fusion == {}  # nothing given, nothing live: the ranking will use its defaults
    weights = {"paragraph": 1.0}  # opaque to the build: checking them is the ranking's business
    report = quiet_build(articles_dir, index, stand_in, fusion=weights)
    assert not report.up_to_date and (report.embedded_paragraphs, report.embedded_sentences) == (0, 0)
    after = open_index(index).manifest
    assert after.fusion == weights and after.segments == before.segments
    again = quiet_build(articles_dir, index, stand_in)
    assert again.up_to_date and open_index(index).manifest.fusion == weights


def test_editing_one_article_re_embeds_only_its_changed_paragraphs(
    articles_dir: Path, tmp_path: Path, stand_in: StandInEncoder
):
    index = tmp_path / "index"
    (articles_dir / "bridge.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    assert quiet_build(articles_dir, index, stand_in).paragraphs == 11
    edited = SECOND_ARTICLE.replace("140 corroded", "160 rusted")
    (articles_dir / "bridge.txt").write_text(edited, encoding="utf-8")
    report = quiet_build(articles_dir, index, stand_in)
    assert report.embedded_paragraphs == 1 and report.embedded_sentences == 1  # its one sentence, from its pass
    assert report.paragraphs == 11
    [hit] = Retriever(index, encoder=stand_in).search("How many cable strands were replaced?", k=1)
    assert "160 rusted" in hit.paragraph.text


def test_deleted_article_leaves_search_results(articles_dir: Path, tmp_path: Path, stand_in: StandInEncoder):
    index = tmp_path / "index"
    (articles_dir / "bridge.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    quiet_build(articles_dir, index, stand_in)
    retriever = Retriever(index, encoder=stand_in)
    assert retriever.search("ferry service crossing", k=1)[0].paragraph.article_id == "bridge.txt"
    (articles_dir / "bridge.txt").unlink()
    report = quiet_build(articles_dir, index, stand_in)
    assert report.articles == 1 and report.embedded_paragraphs == 0
    hits = retriever.search("ferry service crossing", k=20)  # the same retriever sees the new index
    assert hits and all(hit.paragraph.article_id != "bridge.txt" for hit in hits)


def test_manifest_guards_against_another_model(articles_dir: Path, tmp_path: Path, stand_in: StandInEncoder):
    index = tmp_path / "index"
    quiet_build(articles_dir, index, stand_in)
    manifest_file = current_generation(index) / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["model"] = "some-other-model"
    manifest_file.write_text(json.dumps(manifest))
    with pytest.raises(
        IndexProblem, match=r"built with model 'some-other-model'.*python -m embeddings.build --index .* --full"
    ):
        open_index(index, model=stand_in.model_name)
    # A rebuild notices, says so, and embeds everything again with the right model.
    messages: list[str] = []
    report = build_index(articles_dir, index, encoder=stand_in, progress=False, log=messages.append)
    assert report.embedded_paragraphs == 8
    assert any("not reusing the previous index" in m for m in messages)
    assert open_index(index, model=stand_in.model_name).manifest.model == stand_in.model_name


def test_manifest_describes_the_build(seed_index: Path):
    manifest = open_index(seed_index).manifest
    assert manifest.model == "all-MiniLM-L6-v2" and manifest.dimension == 384 and manifest.normalised
    assert (manifest.articles, manifest.paragraphs) == (1, 8)
    [segment] = manifest.segments
    assert segment.vector_index == {"paragraphs": "flat", "sentences": "flat"} and manifest.removed_paragraphs == 0
    assert Path(manifest.model_path).is_dir()


def test_above_the_threshold_an_approximate_index_is_built_and_still_finds_the_paragraph(
    articles_dir: Path, tmp_path: Path, stand_in: StandInEncoder, monkeypatch
):
    """HNSW from 12 vectors instead of 20,000: the 11 paragraphs stay exact, their sentences do not;
    forced, HNSW or IVF (memory-mapped lists) for both still find it, with and without a restriction."""
    monkeypatch.setattr(vector_index, "APPROXIMATE_FROM", 12)
    index = tmp_path / "index"
    (articles_dir / "bridge.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    report = quiet_build(articles_dir, index, stand_in)
    assert report.vector_index == {"paragraphs": "flat", "sentences": "hnsw"}
    assert open_index(index).manifest.segments[0].vector_index == report.vector_index
    retriever = Retriever(index, encoder=stand_in)
    assert retriever.current_index().segments[0].sentence_index.kind == "hnsw"
    [hit] = retriever.search("How many cable strands were replaced?", k=1)
    assert "140 corroded" in hit.paragraph.text
    monkeypatch.setattr(vector_index, "VECTORS_PER_LIST", 2)  # IVF: several lists even for 11 paragraphs ...
    monkeypatch.setattr(vector_index, "PROBED_SHARE", 1.0)  # ... all probed: this tests the wiring, not recall
    for kind in ("hnsw", "ivf"):  # forced: both approximate
        quiet_build(articles_dir, index, stand_in, vector_index=kind)
        assert open_index(index).manifest.segments[0].vector_index == {"paragraphs": kind, "sentences": kind}
        assert retriever.current_index().segments[0].paragraph_index.kind == kind
        [hit] = retriever.search("How many cable strands were replaced?", k=1)
        assert "140 corroded" in hit.paragraph.text
        allowed = np.ones(retriever.current_index().rows, dtype=bool)
        for entry in retriever.current_index().articles():
            if entry.article.id == hit.paragraph.article_id:
                allowed[entry.paragraph_rows.start : entry.paragraph_rows.stop] = False
        hits = retriever.search("How many cable strands were replaced?", k=3, allowed=allowed)
        assert len(hits) == 3 and all(h.paragraph.article_id != hit.paragraph.article_id for h in hits)


def test_an_ivf_index_as_a_million_paragraphs_get_opens_memory_mapped_and_answers_as_exact_search(
    articles_dir: Path, tmp_path: Path, encoder: Encoder, monkeypatch
):
    """The index kind for the largest tables, built with the real model: several lists, half probed,
    read back from disk, and the seed questions find the paragraphs exact search finds."""
    monkeypatch.setattr(vector_index, "VECTORS_PER_LIST", 2)
    monkeypatch.setattr(vector_index, "PROBED_SHARE", 0.5)
    (articles_dir / "bridge.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    quiet_build(articles_dir, tmp_path / "exact", encoder, vector_index="flat")
    quiet_build(articles_dir, tmp_path / "ivf", encoder, vector_index="ivf")
    [segment] = open_index(tmp_path / "ivf").segments
    assert segment.paragraph_index.kind == segment.sentence_index.kind == "ivf"
    sentences = segment.sentence_index.index
    assert sentences.nlist > 1 and sentences.nprobe < sentences.nlist  # approximate: not every list is read
    for question in SEED_QUESTIONS:
        found = [
            [c.paragraph.text for c in Retriever(folder, encoder=encoder).search(question, k=3)]
            for folder in (tmp_path / "exact", tmp_path / "ivf")
        ]
        assert found[1][0] == found[0][0], question
    answer = Answerer(Retriever(tmp_path / "ivf", encoder=encoder)).ask(SEED_QUESTIONS[0])
    assert answer.found and "Katrina Yu" in answer.answer


def test_duplicate_paragraphs_are_indexed_once(articles_dir: Path, tmp_path: Path, stand_in: StandInEncoder):
    seed = SEED_FILE.read_text(encoding="utf-8")
    copy = seed.replace("Xi, Putin show united front amid tensions with West", "Reprint: Xi and Putin")
    (articles_dir / "reprint.txt").write_text(copy, encoding="utf-8")
    report = quiet_build(articles_dir, tmp_path / "index", stand_in)
    assert report.articles == 1  # every paragraph of the reprint was already indexed
    assert report.paragraphs == 8 and report.duplicate_paragraphs == 8


def test_a_second_build_on_the_same_index_stops_with_a_clear_message(
    articles_dir: Path, tmp_path: Path, stand_in: StandInEncoder
):
    index = tmp_path / "index"
    with build_lock(index), pytest.raises(BuildInProgress, match="another build is updating"):
        quiet_build(articles_dir, index, stand_in)


def test_full_rebuild_embeds_everything_again(articles_dir: Path, tmp_path: Path, stand_in: StandInEncoder):
    index = tmp_path / "index"
    quiet_build(articles_dir, index, stand_in)
    report = quiet_build(articles_dir, index, stand_in, full=True)
    assert report.embedded_paragraphs == 8 and not report.up_to_date
    assert len(list(index.glob("gen-*"))) == 2  # the live one and the one before it


def test_an_empty_folder_builds_an_empty_index_that_answers_nothing(tmp_path: Path, stand_in: StandInEncoder):
    empty = tmp_path / "empty"
    empty.mkdir()
    report = quiet_build(empty, tmp_path / "index", stand_in)
    assert report.paragraphs == 0
    assert Retriever(tmp_path / "index", encoder=stand_in).search("anything", k=3) == []


def test_removing_every_article_keeps_the_index_unless_replacing(
    articles_dir: Path, tmp_path: Path, stand_in: StandInEncoder
):
    index = tmp_path / "index"
    quiet_build(articles_dir, index, stand_in)
    live = current_generation(index)
    held = tmp_path / "held.txt"
    shutil.move(articles_dir / SEED_FILE.name, held)
    with pytest.raises(IndexKept, match=f"the folder {articles_dir} holds no article: nothing indexed, the index"):
        quiet_build(articles_dir, index, stand_in)
    assert current_generation(index) == live
    assert quiet_build(articles_dir, index, stand_in, replace=True).paragraphs == 0
    shutil.move(held, articles_dir / SEED_FILE.name)
    report = quiet_build(articles_dir, index, stand_in)
    assert report.paragraphs == 8


def test_the_index_remembers_its_folder_and_refuses_another_without_replace(
    articles_dir: Path, tmp_path: Path, stand_in: StandInEncoder
):
    index = tmp_path / "index"
    quiet_build(articles_dir, index, stand_in)
    (articles_dir / "bridge.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    report = quiet_build(None, index, stand_in)  # no folder given: the recorded one, not seeds/
    assert report.articles_dir == articles_dir.resolve() and report.articles == 2
    assert open_index(index).manifest.articles_dir == str(articles_dir.resolve())
    live = current_generation(index)
    other = tmp_path / "other"
    other.mkdir()
    (other / "bridge.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    with pytest.raises(IndexKept) as refused:
        quiet_build(other, index, stand_in)
    assert str(refused.value) == (
        f"the index at {index} holds the articles of {articles_dir.resolve()}, not {other.resolve()};"
        f" nothing changed: pass --replace to replace them with those of {other.resolve()}"
    )
    assert current_generation(index) == live
    replaced = quiet_build(other, index, stand_in, replace=True)
    assert replaced.articles == 1 and open_index(index).manifest.articles_dir == str(other.resolve())
    copy = tmp_path / "copy"
    shutil.copytree(other, copy)
    moved = quiet_build(copy, index, stand_in, replace=True)  # the same articles: nothing embedded, folder recorded
    assert not moved.up_to_date and (moved.embedded_paragraphs, moved.embedded_sentences) == (0, 0)
    assert open_index(index).manifest.articles_dir == str(copy.resolve())


def test_undo_puts_back_the_index_before_the_last_build_and_again_redoes_it(
    articles_dir: Path, tmp_path: Path, stand_in: StandInEncoder
):
    index = tmp_path / "index"
    first = quiet_build(articles_dir, index, stand_in)
    assert first.undo == ""  # nothing before the first build
    with pytest.raises(IndexKept, match="nothing to undo"):
        undo_build(index)
    (articles_dir / "bridge.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    second = quiet_build(articles_dir, index, stand_in)
    assert second.undo == f"python -m embeddings.build --index {index} --undo"
    assert undo_build(index).startswith("restored the build of ") and open_index(index).manifest.articles == 1
    assert open_index(index).article("bridge.txt") is None
    undo_build(index)
    assert open_index(index).manifest.articles == 2 and open_index(index).article("bridge.txt") is not None
    assert quiet_build(articles_dir, index, stand_in).up_to_date  # the redone build is the folder's


@pytest.mark.slow
def test_build_command_refuses_another_folder_in_one_line_and_undoes(articles_dir: Path, tmp_path: Path):
    def run(*options: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "embeddings.build", "--index", str(tmp_path / "index"), "--quiet", *options],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    assert run("--articles", str(articles_dir)).returncode == 0
    other = tmp_path / "other"
    other.mkdir()
    refused = run("--articles", str(other))
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith(f"error: the index at {tmp_path / 'index'} holds the articles of {articles_dir}")
    assert refused.stderr.count("\n") == 1 and "--replace" in refused.stderr
    emptied = run("--articles", str(other), "--replace")
    assert emptied.returncode == 1 and "the index as it was before is kept; to go back to it:" in emptied.stdout
    undone = run("--undo")
    assert undone.returncode == 0 and ": 1 articles, 8 paragraphs from " in undone.stdout
    assert run().stdout.startswith("index is up to date: 1 articles, 8 paragraphs")


@pytest.mark.slow
def test_build_command_with_relative_folders_reports_and_is_idempotent(articles_dir: Path):
    def run() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "embeddings.build", "--articles", "articles", "--index", "index", "--quiet"],
            cwd=articles_dir.parent, capture_output=True, text=True, timeout=300,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip

    first = run()
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("indexed 1 articles, 8 paragraphs")
    second = run()
    assert second.returncode == 0 and second.stdout.startswith("index is up to date: 1 articles, 8 paragraphs")


def test_a_folder_with_a_fully_duplicated_article_is_still_up_to_date_the_second_time(
    articles_dir: Path, tmp_path: Path, stand_in: StandInEncoder
):
    (articles_dir / "copy.txt").write_text(SEED_FILE.read_text(encoding="utf-8").replace("Xi, Putin", "Copy"))
    quiet_build(articles_dir, tmp_path / "index", stand_in)
    again = quiet_build(articles_dir, tmp_path / "index", stand_in)
    assert again.up_to_date and (again.articles, again.paragraphs) == (1, 8)
