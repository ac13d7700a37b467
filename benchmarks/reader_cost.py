"""What the reader costs a question: `python benchmarks/reader_cost.py [--index DIR] [--reads 3x3 5x4]`.

The same SQuAD dev questions asked one by one through `Answerer.ask` without the reader, and with
it reading P passages x S sentences of each (`--reads`, the default's first; 1 and 2 threads with
`--threads`; another reader model beside the shipped one with `--compare-reader`), the answerers
taking turns on each question so the machine's noise falls on all of them alike. Prints p50 and
p95 of the whole answer for each.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings.encoder import question_encoder
from qa.answer import Answerer, AnswerWeights
from qa.datasets import CACHE, spread_dev_questions
from qa.reader import MODEL_DIR, Reader
from qa.retrieve import Retriever


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=CACHE / "squad" / "index-dev", help="index to ask")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--reads", nargs="*", default=[], metavar="PxS", help="also read P passages x S sentences")
    parser.add_argument("--threads", type=int, nargs="+", default=[2], help="reader threads to compare (default 2)")
    parser.add_argument("--compare-reader", type=Path, metavar="DIR", help="also time another reader model's folder")
    args = parser.parse_args(argv)
    questions = spread_dev_questions(args.questions)
    retriever = Retriever(args.index, encoder=question_encoder())
    default = AnswerWeights()
    reads = [(default.read_passages, default.sentences_per_passage)]
    reads += [(int(p), int(s)) for p, s in (r.split("x") for r in args.reads) if (int(p), int(s)) not in reads]
    answerers = {"no reader": Answerer(retriever, reader=None)}
    folders = [MODEL_DIR] + ([args.compare_reader] if args.compare_reader else [])
    for folder, threads in itertools.product(folders, args.threads):
        reader = Reader(folder=folder, threads=threads)
        for passages, sentences in reads:
            name = f"reader, {passages} passages x {sentences} sentences, {threads} thread{'s' * (threads > 1)}"
            name += f", {folder}" if args.compare_reader else ""
            weights = replace(default, read_passages=passages, sentences_per_passage=sentences)
            answerers[name] = Answerer(retriever, weights=weights, reader=reader)
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
