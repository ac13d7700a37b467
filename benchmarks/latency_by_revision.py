"""Whole-answer latency of two revisions of this code, side by side on one index and one sample.

    python benchmarks/latency_by_revision.py 081b591 HEAD --index .cache/squad/index-dev+train

Each revision is checked out into a temporary git worktree, and its own code answers the same
dev questions one by one (`Answerer.ask` with that revision's default weights, the chat's path).
Revisions alternate for `--rounds` rounds, since this shared machine's speed drifts between runs
more than a small change moves the figures. Prints p50 and p95 per run and the ratio of medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(checkout: Path, index: Path, questions_file: Path) -> None:
    """Runs in a child process: time `checkout`'s code answering the questions in `questions_file`."""
    sys.path.insert(0, str(checkout))
    import time

    import numpy as np

    from qa.answer import Answerer
    from qa.retrieve import Retriever

    try:
        from qa.ranking import FusionWeights
    except ImportError:  # a revision from before ranking had a module of its own
        from embeddings.index import FusionWeights

    sample = json.loads(questions_file.read_text())
    answerer = Answerer(Retriever(index, weights=FusionWeights()))  # the revision's own weights
    for question in sample[:20]:  # warm up caches and the encoder
        answerer.ask(question)
    times = []
    for question in sample:
        started = time.perf_counter()
        answerer.ask(question)
        times.append((time.perf_counter() - started) * 1000)
    print(f"{np.percentile(times, 50):.1f} {np.percentile(times, 95):.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("revisions", nargs=2, help="two git revisions, e.g. a commit and HEAD")
    parser.add_argument("--index", type=Path, required=True, help="an index both revisions can read")
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # internal: the child process
    parser.add_argument("--questions-file", type=Path, help=argparse.SUPPRESS)  # internal: its questions
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.index.resolve(), args.questions_file)
        return 0
    sys.path.insert(0, str(ROOT))  # only here: a child must import its own revision's modules, not these
    from qa.datasets import spread_dev_questions

    medians: dict[str, list[float]] = {revision: [] for revision in args.revisions}
    with tempfile.TemporaryDirectory() as scratch:
        questions_file = Path(scratch) / "questions.json"
        questions_file.write_text(json.dumps(spread_dev_questions(args.questions)))  # one sample for both
        checkouts = {}
        for number, revision in enumerate(args.revisions):
            checkouts[revision] = Path(scratch) / f"rev{number}"
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(checkouts[revision]), revision],
                check=True,
            )
        try:
            for round_number in range(1, args.rounds + 1):
                for revision, checkout in checkouts.items():
                    child = [sys.executable, __file__, *args.revisions, "--index", str(args.index)]
                    child += ["--questions-file", str(questions_file), "--measure", str(checkout)]
                    output = subprocess.run(child, check=True, capture_output=True, text=True).stdout.split()
                    p50, p95 = float(output[-2]), float(output[-1])
                    medians[revision].append(p50)
                    print(f"round {round_number} {revision:>10}: p50 {p50:.1f} ms, p95 {p95:.1f} ms", flush=True)
        finally:
            for checkout in checkouts.values():
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(checkout)], check=False)
    first, second = (statistics.median(medians[r]) for r in args.revisions)
    before, after = args.revisions
    print(f"median p50: {before} {first:.1f} ms, {after} {second:.1f} ms ({second / first:.2f} x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
