"""SQuAD dev served from shards on Ray Serve against one process, side by side; then a replica killed under load.

    unshare -n bash -c 'ip link set lo up; .venv/bin/python benchmarks/sharded_serving.py \
        [--shards 2] [--replicas 2] [--clients 8] [--seconds 60] [--answers 1000]'

Ray reaches for outside hosts, so run it inside a loopback-only network namespace, as above.
The cached dev index (qa.evaluate's) is copied and rebuilt in `--shards` x 2 segments, reusing
every vector; then, on a local Ray cluster of the machine's cores:
- every dev question is searched both ways (top 5 with their features) and the first `--answers`
  are answered both ways (the reader included); it prints how many differ at all;
- latency: the same 300 questions asked one at a time, each way in turn;
- load: `--clients` threads ask dev questions for `--seconds`, first of one process, then through
  the sharded router, where a third of the way in one replica of shard 0 is killed (SIGKILL). It
  prints the questions answered, those failed or answered differently, p50/p95 (before and after
  the kill), and the seconds until Serve runs every replica again.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings.build import build_index
from embeddings.cluster import import_ray, ray_cluster
from embeddings.encoder import Encoder, OnnxEncoder
from qa.answer import Answerer
from qa.datasets import load_squad
from qa.evaluate import prepare_index
from qa.retrieve import Retriever
from qa.sharded import serve_shards


def compare(alone: Answerer, sharded: Answerer, questions: list[str], vectors: np.ndarray, answers: int) -> None:
    """Count the questions whose candidates or answers differ between the two."""
    differ = 0
    for question, vector in zip(questions, vectors, strict=True):
        one = alone.retriever.search(question, k=5, question_vector=vector)
        two = sharded.retriever.search(question, k=5, question_vector=vector)
        same_rows = [c.paragraph.row for c in one] == [c.paragraph.row for c in two]
        differ += not (same_rows and all(np.array_equal(a.features, b.features) for a, b in zip(one, two, strict=True)))
    print(f"searched: {len(questions)} dev questions, top 5 and features differ for {differ}")
    differ = sum(
        alone.ask(q, question_vector=v).to_json() != sharded.ask(q, question_vector=v).to_json()
        for q, v in zip(questions[:answers], vectors[:answers], strict=True)
    )
    print(
        f"answered: {min(answers, len(questions))} dev questions, replies (answer, span, passages) differ for {differ}"
    )


def latencies(alone: Answerer, sharded: Answerer, questions: list[str]) -> None:
    times: dict[str, list[float]] = {"one process": [], "shards": []}
    for question in questions:
        for way, answerer in (("one process", alone), ("shards", sharded)):
            started = time.perf_counter()
            answerer.ask(question)
            times[way].append((time.perf_counter() - started) * 1000)
    for way, ms in times.items():
        p50, p95 = np.percentile(ms, [50, 95])
        print(f"latency, one question at a time, {way}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    ratio = np.percentile(times["shards"], 50) / np.percentile(times["one process"], 50)
    print(f"  shards / one process, p50: {ratio:.2f}x")


def load_run(
    answerer: Answerer, questions: list[str], *, clients: int, seconds: float, way: str, kill: str | None = None
) -> None:
    """`clients` threads asking for `seconds`; with `kill`, a replica of that shard is killed a third of the way in."""
    expected = {q: answerer.ask(q).to_json() for q in questions}
    records: list[tuple[float, float, bool]] = []  # (start, ms, answered as expected)
    failures: list[str] = []
    started = time.monotonic()

    def client(offset: int) -> None:
        number = offset
        while time.monotonic() - started < seconds:
            question = questions[number % len(questions)]
            number += clients
            begun = time.monotonic()
            try:
                same = answerer.ask(question).to_json() == expected[question]
            except Exception as error:  # every failure is counted and shown
                failures.append(f"{type(error).__name__}: {str(error)[:120]}")
                continue
            records.append((begun - started, (time.monotonic() - begun) * 1000, same))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    killed = seconds
    if kill:
        time.sleep(seconds / 3)
        subprocess.run(["kill", "-9", replica_pids(kill)[0]], check=True)
        killed = time.monotonic() - started
        whole_after = seconds_until_whole(kill, started)
    for thread in threads:
        thread.join()
    before = [ms for at, ms, _ in records if at < killed]
    after = [ms for at, ms, _ in records if at >= killed]
    print(
        f"load on {way}: {clients} clients for {seconds:.0f} s, {len(records)} answered"
        f" ({len(records) / seconds:.1f}/s), {len(failures)} failed,"
        f" {sum(not same for *_, same in records)} answered differently"
    )
    for line in failures[:5]:
        print(f"  failed: {line}")
    for label, ms in (("before the kill", before), ("after the kill", after)) if kill else (("all", before),):
        print(f"  {label}: {len(ms)} answered, p50 {np.percentile(ms, 50):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms")
    if kill:
        print(f"  slowest answer after the kill: {max(after):.0f} ms")
        print(f"  replica killed at {killed:.1f} s; Serve ran every replica again {whole_after - killed:.1f} s later")


def replica_pids(shard: str) -> list[str]:
    return subprocess.run(["pgrep", "-f", f"ServeReplica:{shard}"], capture_output=True, text=True).stdout.split()


def seconds_until_whole(shard: str, started: float) -> float:
    """Seconds since `started` when Serve reports the shard's replicas all running again (after it noticed the loss)."""
    from ray import serve

    noticed = False
    while True:
        states = dict(serve.status().applications[shard].deployments[shard].replica_states)
        alive = replica_pids(shard)
        noticed = noticed or set(states) != {"RUNNING"} or len(alive) < sum(states.values())
        if noticed and set(states) == {"RUNNING"} and len(alive) == sum(states.values()):
            return time.monotonic() - started
        time.sleep(0.25)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--answers", type=int, default=1000, help="dev questions answered both ways (default 1000)")
    args = parser.parse_args()
    articles = load_squad("dev")
    questions = [q.question for article in articles for q in article.questions]
    cached = prepare_index("dev", articles, Encoder())
    with tempfile.TemporaryDirectory() as work:
        index_dir = Path(work) / "index"
        shutil.copytree(cached, index_dir)
        report = build_index(None, index_dir, encoder=Encoder(), segments=2 * args.shards, progress=False)
        print(f"index: {report.summary()}")
        question_encoder = OnnxEncoder()
        vectors = question_encoder.encode(questions)
        import_ray()
        with ray_cluster("local"), serve_shards(index_dir, shards=args.shards, replicas=args.replicas) as sharded:
            sizes = [s.end_row - s.first_row for s in sharded.shards]
            print(f"served: {args.shards} shards of {args.replicas} replicas, holding {sizes} rows")
            alone = Answerer(Retriever(index_dir, encoder=question_encoder))
            on_shards = Answerer(sharded)
            compare(alone, on_shards, questions, vectors, args.answers)
            latencies(alone, on_shards, questions[:: len(questions) // 300][:300])
            asked, load = questions[::7][:500], {"clients": args.clients, "seconds": args.seconds}
            load_run(alone, asked, way="one process", **load)
            load_run(on_shards, asked, way="shards", kill=sharded.shards[0].name, **load)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
