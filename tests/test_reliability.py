"""Crashes, damaged indexes, rebuilds while serving, and many users at once."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.request import urlopen

import numpy as np
import pytest

from embeddings import build
from embeddings.build import DiskFull
from embeddings.encoder import Encoder, TextEncoder
from embeddings.index import IndexProblem, current_generation, open_index
from embeddings.uploads import save_upload
from qa.answer import Answerer
from qa.feedback import FEEDBACK_FILE, FeedbackLog, FeedbackNotSaved
from qa.retrieve import Retriever
from tests.conftest import (
    ROOT,
    StandInEncoder,
    ask_api,
    free_port,
    mounted,
    quiet_build,
    running_app,
    town_article,
)


def filler_articles(folder: Path, count: int) -> None:
    """`count` small distinct articles: enough work for a build to be caught in the middle."""
    for number in range(count):
        paragraphs = "\n\n".join(
            f"Report {number}.{p}: the council of town {number} voted {p} times on the budget for road {number * p}."
            for p in range(1, 6)
        )
        (folder / f"filler-{number:03d}.txt").write_text(f"Filler article {number}\n\n{paragraphs}\n")


def wait_for(path: Path, marker: str, process: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while marker not in path.read_text(errors="replace"):
        assert process.poll() is None, path.read_text()
        assert time.monotonic() < deadline, f"never saw {marker!r}"
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["embedding: ", "embedding: 100%"])
def test_a_build_killed_mid_way_leaves_the_previous_index_whole(
    articles_dir: Path, tmp_path: Path, encoder: Encoder, moment: str, question_encoder: TextEncoder
):
    index = tmp_path / "index"
    quiet_build(articles_dir, index, encoder)
    before = current_generation(index)
    filler_articles(articles_dir, 25)
    log = tmp_path / "build.log"
    with open(log, "w") as stderr:
        build = subprocess.Popen(
            [sys.executable, "-m", "embeddings.build", "--articles", str(articles_dir), "--index", str(index)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
        wait_for(log, moment, build)
        build.send_signal(signal.SIGKILL)
        build.wait()
    # The live index is whole and answers: the one from before, or (killed as it finished) the new one.
    opened = open_index(index, model=encoder.model_name)
    if not moment.endswith("100%"):
        assert current_generation(index) == before and opened.manifest.paragraphs == 8
    else:
        assert opened.manifest.paragraphs in (8, 8 + 25 * 5)
    [hit] = Retriever(index, encoder=question_encoder).search("Putin unprecedented ties with China", k=1)
    assert hit.paragraph.number == 2
    # The lock died with the build; the next build finishes the job and tidies the half-written folder.
    report = quiet_build(articles_dir, index, encoder)
    assert report.articles == 26
    assert len(list(index.glob("gen-*"))) <= 2  # the live one and the one before it


def segment(generation: Path) -> Path:
    [folder] = generation.glob("seg-*")
    return folder


def truncate(path: Path, size: int) -> None:
    path.write_bytes(path.read_bytes()[:size])


DAMAGE = {
    "truncated vector index": lambda g: truncate(segment(g) / "paragraphs.faiss", 100),
    "missing store": lambda g: (segment(g) / "store.sqlite").unlink(),
    "garbage store": lambda g: (segment(g) / "store.sqlite").write_bytes(b"not a database at all" * 100),
    "truncated sentence owners": lambda g: truncate(segment(g) / "sentence_owner.npy", 130),
    "missing keyword index": lambda g: shutil.rmtree(segment(g) / "keywords"),
    "missing segment": lambda g: shutil.rmtree(segment(g)),
    "garbage manifest": lambda g: (g / "manifest.json").write_text("{oops"),
    "missing generation": lambda g: shutil.rmtree(g),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_a_damaged_index_gets_one_line_naming_the_fix(seed_index: Path, tmp_path: Path, damage: str):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    DAMAGE[damage](current_generation(index))
    with pytest.raises(IndexProblem) as problem:
        open_index(index)
    message = str(problem.value)
    assert "\n" not in message and f"python -m embeddings.build --index {index} --full" in message
    result = subprocess.run(
        [sys.executable, "-m", "qa.ask", "any question", "--index", str(index)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {message}"


def test_a_damaged_index_is_rebuilt_from_the_articles(articles_dir: Path, tmp_path: Path, encoder: Encoder):
    index = tmp_path / "index"
    quiet_build(articles_dir, index, encoder)
    DAMAGE["garbage store"](current_generation(index))
    report = quiet_build(articles_dir, index, encoder)
    assert report.paragraphs == 8 and report.embedded_paragraphs == 8
    assert open_index(index).manifest.paragraphs == 8


@pytest.mark.slow
def test_the_app_answers_during_a_rebuild_and_from_the_new_index_after_it(
    articles_dir: Path, tmp_path: Path, encoder: Encoder, question_encoder: TextEncoder
):
    from gradio_client import Client

    from webui.server import serve

    index = tmp_path / "index"
    quiet_build(articles_dir, index, encoder)
    server = serve(Answerer(Retriever(index, encoder=question_encoder)), port=free_port(), block=False)
    url = server.url
    try:
        failures: list[BaseException] = []
        answers: list[dict] = []
        building = threading.Event()
        building.set()

        def keep_asking() -> None:
            client = Client(url, verbose=False)
            while building.is_set():
                try:
                    answers.append(client.predict("Where did Xi and Putin meet?", 2, api_name="/ask"))
                except Exception as error:  # every failure counts
                    failures.append(error)

        askers = [threading.Thread(target=keep_asking) for _ in range(2)]
        for asker in askers:
            asker.start()
        filler_articles(articles_dir, 30)
        (articles_dir / "bridge.txt").write_text(
            "Harbour bridge reopens\n\nThe harbour bridge reopened on Tuesday after eight months of cable repairs.\n"
        )
        report = quiet_build(articles_dir, index, encoder)
        time.sleep(1)
        building.clear()
        for asker in askers:
            asker.join(timeout=60)
        assert report.articles == 32
        assert not failures, failures[:3]
        assert len(answers) >= 4 and all(a["found"] and a["passages"][0]["paragraph"] == 1 for a in answers)
        after = Client(url, verbose=False).predict("When did the harbour bridge reopen?", 2, api_name="/ask")
        assert after["passages"][0]["article"] == "bridge.txt" and "Tuesday" in after["answer"]
    finally:
        server.close()


QUESTIONS = {
    "What did Putin call his country's ties with China?": 2,
    "Where did Xi and Putin meet?": 1,
    "Which defense alliance did both leaders express concern about?": 3,
    "What did the two leaders oppose the further expansion of?": 4,
    "Who is the Al Jazeera correspondent who commented?": 6,
    "What would China do if the US imposed crippling sanctions?": 8,
    "Has China become more vocal in backing Russia?": 5,
    "What does Xi not want to disrupt ahead of the Winter Olympics?": 7,
}


def test_eight_concurrent_clients_all_get_their_own_correct_answer(chat_url: str):
    from gradio_client import Client

    def ask(question: str) -> tuple[str, dict]:
        return question, Client(chat_url, verbose=False).predict(question, 3, api_name="/ask")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(ask, list(QUESTIONS) * 2))
    assert len(results) == 16
    for question, reply in results:
        assert reply["question"] == question
        assert reply["passages"][0]["paragraph"] == QUESTIONS[question], (question, reply["passages"][0])


def test_sentence_vectors_line_up_with_their_paragraphs(seed_index: Path, encoder: Encoder):
    """The build's row bookkeeping: each sentence vector is that sentence's, from its paragraph's pass."""
    index = open_index(seed_index)
    [paragraph] = index.paragraphs([2])
    expected = encoder.encode_with_sentences([paragraph.text], [paragraph.sentence_spans])
    rows = np.arange(paragraph.sentence_rows.start, paragraph.sentence_rows.stop)
    assert len(rows) > 1 and np.allclose(index.sentence_vectors(rows), expected[1:], atol=1e-5)


@pytest.mark.parametrize("when", ["seen before embedding", "met while writing"])
def test_a_build_that_runs_out_of_disk_says_so_and_leaves_the_old_index_answering(
    articles_dir: Path, tmp_path: Path, stand_in: StandInEncoder, monkeypatch, when: str
):
    disk = tmp_path / "disk"
    disk.mkdir()
    index = disk / "index"
    with mounted("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)):
        quiet_build(articles_dir, index, stand_in)
        live = current_generation(index)
        for number in range(200):  # about 2.5 MB of vectors and text
            (articles_dir / f"town-{number}.txt").write_text(town_article(f"Town{number}"), encoding="utf-8")
        if when == "met while writing":
            monkeypatch.setattr(build, "generation_bytes", lambda plan, dimension: 0)  # the estimate misses
        with pytest.raises(DiskFull) as full:
            quiet_build(articles_dir, index, stand_in)
        message = str(full.value)
        assert "\n" not in message and f"the index at {index}" in message and "MB is free" in message
        assert "this build needs about" in message if when == "seen before embedding" else "needs more than" in message
        assert message.endswith("(the index is kept as it was)")
        assert sorted(index.glob("gen-*")) == [live]  # nothing half-written is left behind
        [hit] = Retriever(index, encoder=stand_in).search("Putin unprecedented ties with China", k=1)
        assert hit.paragraph.number == 2


@pytest.mark.slow
def test_a_read_only_index_folder_is_served_and_refuses_votes_and_uploads(seed_index: Path, tmp_path: Path):
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    shutil.copytree(seed_index, shelf / "index")
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    with mounted("--bind", "-o", "ro", str(shelf), str(read_only)):
        index = read_only / "index"
        assert not os.access(index, os.W_OK)
        with pytest.raises(FeedbackNotSaved, match="it could not be saved: the folder is read-only"):
            FeedbackLog(index / FEEDBACK_FILE).add_vote({"question": "?"}, liked=True)
        upload = save_upload(read_only, "note.txt", b"A note\n\nSome text.\n")
        assert upload.saved is None and upload.reason == "it cannot be saved: the folder is read-only"
        with running_app("--index", str(index)) as url:
            reply = ask_api(url, "Where did Xi and Putin meet?")
            with urlopen(url + "config", timeout=60) as config:
                page = config.read().decode()
        assert reply["found"] and reply["passages"][0]["paragraph"] == 1
        assert "Add articles" not in page and "Ask the articles" in page
