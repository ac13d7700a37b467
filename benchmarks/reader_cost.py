"""What the reader costs a question: `python benchmarks/reader_cost.py [--index DIR]`.

The same SQuAD dev questions asked one by one through `Answerer.ask` without the reader, with
the reader on one thread and on two, the three answerers taking turns on each question so the
machine's noise falls on all of them alike. Prints p50 and p95 of the whole answer for each.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings.encoder import question_encoder
from qa.answer import Answerer
from qa.datasets import CACHE, spread_dev_questions
from qa.reader import Reader
from qa.retrieve import Retriever


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=CACHE / "squad" / "index-dev", help="index to ask")
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args(argv)
    questions = spread_dev_questions(args.questions)
    retriever = Retriever(args.index, encoder=question_encoder())
    answerers = {
        "no reader": Answerer(retriever, reader=None),
        "reader, 1 thread": Answerer(retriever, reader=Reader(threads=1)),
        "reader, 2 threads": Answerer(retriever, reader=Reader(threads=2)),
    }
    for answerer in answerers.values():
        for question in questions[:10]:  # warm up: models loaded, caches filled
            answerer.ask(question)
    times: dict[str, list[float]] = {name: [] for name in answerers}
    for question in questions:
        for name, answerer in answerers.items():
            started = time.perf_counter()
            answerer.ask(question)
            times[name].append((time.perf_counter() - started) * 1000)
    print(f"{args.questions} SQuAD dev questions, {retriever.current_index().manifest.paragraphs} paragraphs indexed")
    print("| answerer | p50 ms | p95 ms |\n| --- | --- | --- |")
    for name, values in times.items():
        print(f"| {name} | {np.percentile(values, 50):.1f} | {np.percentile(values, 95):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
