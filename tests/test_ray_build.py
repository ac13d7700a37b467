"""The build on a Ray cluster: the same index as a local build, incremental, from the command line.

Ray reaches for outside hosts, so these tests run only inside a loopback-only network namespace,
as scripts/test.sh runs every test; elsewhere they skip and say why.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from embeddings.build import main as build_main
from embeddings.encoder import Encoder
from embeddings.index import open_index
from embeddings.ray_encoder import RayEncoder
from qa.retrieve import Retriever
from tests.conftest import ROOT, SECOND_ARTICLE, SEED_QUESTIONS, needs_ray, quiet_build, town_article


@pytest.fixture
def two_articles(articles_dir: Path) -> Path:
    (articles_dir / "bridge.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    return articles_dir


@pytest.mark.slow
@needs_ray
def test_a_ray_build_writes_the_index_a_local_build_writes(
    ray_local: None, two_articles: Path, tmp_path: Path, encoder: Encoder
):
    local = quiet_build(two_articles, tmp_path / "local", encoder)
    on_ray = quiet_build(two_articles, tmp_path / "ray", RayEncoder())
    assert (on_ray.articles, on_ray.paragraphs, on_ray.sentences) == (local.articles, local.paragraphs, local.sentences)
    assert (on_ray.embedded_paragraphs, on_ray.embedded_sentences) == (
        local.embedded_paragraphs,
        local.embedded_sentences,
    )
    local_index, ray_index = open_index(tmp_path / "local"), open_index(tmp_path / "ray")
    rows = np.arange(local_index.rows)
    assert [p.text for p in ray_index.paragraphs(rows)] == [p.text for p in local_index.paragraphs(rows)]
    np.testing.assert_allclose(ray_index.paragraph_vectors(rows), local_index.paragraph_vectors(rows), atol=1e-6)
    sentences = np.arange(local_index.manifest.sentences)
    np.testing.assert_allclose(
        ray_index.sentence_vectors(sentences), local_index.sentence_vectors(sentences), atol=1e-6
    )
    for question in SEED_QUESTIONS:
        found = [
            [c.paragraph.row for c in Retriever(folder, encoder=encoder).search(question, k=3)]
            for folder in (tmp_path / "local", tmp_path / "ray")
        ]
        assert found[0] == found[1], question


@pytest.mark.slow
@needs_ray
def test_a_ray_build_embeds_only_what_changed(ray_local: None, two_articles: Path, tmp_path: Path):
    on_ray = RayEncoder()
    first = quiet_build(two_articles, tmp_path / "index", on_ray)
    (two_articles / "arlow.txt").write_text(town_article("Arlow"), encoding="utf-8")
    second = quiet_build(two_articles, tmp_path / "index", on_ray)
    assert second.paragraphs > first.paragraphs
    assert second.embedded_paragraphs == second.paragraphs - first.paragraphs
    assert quiet_build(two_articles, tmp_path / "index", on_ray).up_to_date


@pytest.mark.slow
@needs_ray
def test_the_build_command_starts_a_local_cluster_and_stops_it(tmp_path: Path):
    sessions_before = set(Path("/tmp").glob("aqa-ray-*"))
    command = ["-m", "embeddings.build", "--ray", "local", "--quiet", "--articles", "seeds"]
    result = subprocess.run(
        [sys.executable, *command, "--index", str(tmp_path / "index")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("indexed 1 articles, 8 paragraphs")
    assert open_index(tmp_path / "index").manifest.paragraphs == 8
    assert set(Path("/tmp").glob("aqa-ray-*")) <= sessions_before  # its cluster's files are gone with it


def test_asking_for_ray_without_it_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, tmp_path: Path
):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed
    assert build_main(["--articles", str(ROOT / "seeds"), "--index", str(tmp_path / "index"), "--ray", "local"]) == 2
    assert capsys.readouterr().err == "error: Ray is not installed: pip install -r requirements-ray.txt\n"
    assert not (tmp_path / "index").exists()


@pytest.mark.slow
@needs_ray
def test_an_actor_killed_mid_build_is_replaced_and_its_work_done_again(ray_local: None, encoder: Encoder):
    chunks = [
        [(f"Chunk {number}: the harbour bridge reopened after {text} months.", [(0, 8)]) for text in range(16)]
        for number in range(12)
    ]
    on_ray = RayEncoder()
    done = {}
    for number, vectors in on_ray.encode_chunks(chunks):
        if not done:  # the first chunk is back, the others are in flight: kill one actor
            actors = subprocess.run(["pgrep", "-f", "ray::MapWorker"], capture_output=True, text=True).stdout.split()
            assert actors, "no actor process found"
            subprocess.run(["kill", "-9", actors[0]], check=True)
        done[number] = vectors
    assert sorted(done) == list(range(12))
    for number, chunk in enumerate(chunks):
        texts, spans = zip(*chunk, strict=True)
        np.testing.assert_allclose(done[number], encoder.encode_with_sentences(texts, spans), atol=1e-6)


@needs_ray
def test_an_address_where_no_cluster_answers_is_one_line_at_once(capsys: pytest.CaptureFixture, tmp_path: Path):
    with socket.socket() as unused:  # a loopback port nothing listens on
        unused.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{unused.getsockname()[1]}"
    assert build_main(["--articles", str(ROOT / "seeds"), "--index", str(tmp_path / "index"), "--ray", address]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: no Ray cluster answers at {address}: start one") and error.count("\n") == 1
    assert not (tmp_path / "index").exists()
