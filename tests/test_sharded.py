"""The index served from shards on Ray Serve: the same passages, scores and answers as one process,
and no failed question while a shard's replica is killed."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from embeddings.cluster import import_ray
from embeddings.encoder import Encoder
from qa.answer import Answerer
from qa.retrieve import Retriever
from qa.sharded import ShardedRetriever, serve_shards
from tests.conftest import (
    SECOND_ARTICLE,
    SEED_FILE,
    TOWNS,
    ask_api,
    needs_ray,
    quiet_build,
    running_app,
    town_article,
)

pytestmark = [pytest.mark.slow, needs_ray]

QUESTIONS = [
    "Which Al Jazeera correspondent commented on China's stance?",
    "When did the harbour bridge reopen?",
    "What did the engineers replace?",
    "Who runs reading hours for children in Calder?",
    "What does the Holm library lend?",
    "What is the capital of France?",
]


@pytest.fixture(scope="module")
def segmented(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder) -> Path:
    """The seed, a second article and ten town articles, built by the real model in three segments."""
    folder = tmp_path_factory.mktemp("articles")
    (folder / SEED_FILE.name).write_text(SEED_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "bridge.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    for town in TOWNS:
        (folder / f"{town}.txt").write_text(town_article(town), encoding="utf-8")
    index = tmp_path_factory.mktemp("index")
    assert quiet_build(folder, index, encoder, segments=3).segments == 3
    return index


@pytest.fixture(scope="module")
def sharded(segmented: Path, ray_local: None) -> Iterator[ShardedRetriever]:
    """Two shards of two replicas each, on a local cluster of this machine."""
    with serve_shards(segmented, shards=2, replicas=2) as retriever:
        yield retriever


def test_shards_rank_every_mode_exactly_as_one_process(sharded: ShardedRetriever, segmented: Path):
    alone = Retriever(segmented, encoder=sharded.encoder)
    for question in QUESTIONS:
        for mode in ("hybrid", "dense", "bm25"):
            expected = alone.search(question, k=8, mode=mode)
            found = sharded.search(question, k=8, mode=mode)
            assert [c.paragraph.row for c in found] == [c.paragraph.row for c in expected], (question, mode)
            assert np.array_equal(np.stack([c.features for c in found]), np.stack([c.features for c in expected]))


def test_shards_give_the_same_answers_and_restrictions_as_one_process(sharded: ShardedRetriever, segmented: Path):
    alone = Answerer(Retriever(segmented, encoder=sharded.encoder))
    on_shards = Answerer(sharded)
    for question in QUESTIONS:
        assert on_shards.ask(question).to_json() == alone.ask(question).to_json(), question
    only = np.zeros(sharded.current_index().rows, dtype=bool)
    entry = sharded.current_index().article("Holm.txt")
    only[list(entry.paragraph_rows)] = True
    restricted = on_shards.ask("Who runs reading hours for children?", allowed=only)
    assert {p.article for p in restricted.passages} == {"Holm.txt"}
    assert restricted.to_json() == alone.ask("Who runs reading hours for children?", allowed=only).to_json()


def test_the_router_reads_no_vectors_or_postings(sharded: ShardedRetriever):
    index = sharded.current_index()
    assert index.keywords.segments == []
    assert all("paragraph_index" not in vars(s) and "keywords" not in vars(s) for s in index.segments)


def test_a_killed_replica_loses_no_question_and_is_replaced(sharded: ShardedRetriever, segmented: Path):
    answerer = Answerer(sharded)
    expected = {question: answerer.ask(question).to_json() for question in QUESTIONS}
    failures: list[BaseException] = []
    wrong: list[str] = []
    asked = 0
    stop = threading.Event()

    def ask_on() -> None:
        nonlocal asked
        while not stop.is_set():
            for question in QUESTIONS:
                try:
                    if answerer.ask(question).to_json() != expected[question]:
                        wrong.append(question)
                except Exception as error:  # every failure is counted: none may happen
                    failures.append(error)
                asked += 1

    askers = [threading.Thread(target=ask_on) for _ in range(3)]
    for thread in askers:
        thread.start()
    time.sleep(1.0)
    shard = sharded.shards[0].name
    replicas = subprocess.run(["pgrep", "-f", f"ServeReplica:{shard}"], capture_output=True, text=True).stdout.split()
    assert len(replicas) == 2, replicas
    subprocess.run(["kill", "-9", replicas[0]], check=True)
    killed_at = asked
    time.sleep(4.0)
    stop.set()
    for thread in askers:
        thread.join()
    assert asked > killed_at + 10  # questions went on being answered after the kill
    assert failures == [] and wrong == []
    replaced = replicas_once_whole(shard, within=90)
    assert len(replaced) == 2 and replicas[0] not in replaced


def replicas_once_whole(name: str, *, within: float) -> list[str]:
    """The process ids of the deployment's replicas once Serve reports two running (or after `within` seconds)."""
    import_ray()
    from ray import serve

    deadline = time.monotonic() + within
    while True:
        states = serve.status().applications[name].deployments[name].replica_states
        running = subprocess.run(["pgrep", "-f", f"ServeReplica:{name}"], capture_output=True, text=True).stdout.split()
        if (dict(states) == {"RUNNING": 2} and len(running) == 2) or time.monotonic() > deadline:
            return running
        time.sleep(1.0)


def test_the_chat_serves_from_shards_and_stops_its_cluster_with_it(segmented: Path, sharded: ShardedRetriever):
    alone = Answerer(Retriever(segmented, encoder=sharded.encoder))
    sessions_before = set(Path("/tmp").glob("aqa-ray-*"))
    with running_app("--index", str(segmented), "--no-build", "--ray", "local", "--shards", "3") as url:
        for question in QUESTIONS[:3]:
            assert ask_api(url, question) == alone.ask(question).to_json(), question
    assert set(Path("/tmp").glob("aqa-ray-*")) <= sessions_before
