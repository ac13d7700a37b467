"""Does embedding in several processes pay on this machine? One process against two, same texts.

    python benchmarks/build_processes.py [--articles 100] [--rounds 2]

Takes the texts a build of the first N BBC News articles embeds (paragraphs and sentences, each
once) and, alternating, `--rounds` times: encodes them all in this process (torch using every
core, as the build does), then in two worker processes of one torch thread each, half the texts
apiece (workers started and their model loaded before the clock starts). Prints texts a second
for each and their ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings.articles import Article, read_file
from embeddings.build import BuildReport, plan_rows, unique_texts
from embeddings.encoder import Encoder
from qa.datasets import bbc_articles

_worker: Encoder | None = None


def _start_worker() -> None:
    import torch

    global _worker
    torch.set_num_threads(1)
    _worker = Encoder()
    _worker.load()


def _encode(texts: list[str]) -> int:
    return len(_worker.encode(texts))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    encoder = Encoder()
    encoder.load()
    files = sorted(bbc_articles().rglob("*.txt"))[: args.articles]
    articles = [a for f in files for a in read_file(f, relative_path=f.name) if isinstance(a, Article)]
    paragraph_texts, sentence_texts = unique_texts(plan_rows(articles, encoder, BuildReport()))
    texts = sorted([*paragraph_texts.values(), *sentence_texts.values()], key=len)
    halves = [texts[0::2], texts[1::2]]  # each worker gets short and long texts alike
    print(f"{len(articles)} articles: {len(texts)} texts")
    print("| round | one process s | two processes s | one: texts/s | two: texts/s | two / one |")
    print("| --- | --- | --- | --- | --- | --- |")
    with ProcessPoolExecutor(2, initializer=_start_worker) as pool:
        list(pool.map(_encode, [["warm up"], ["warm up"]]))
        for round_number in range(1, args.rounds + 1):
            started = time.perf_counter()
            encoder.encode(texts)
            one = time.perf_counter() - started
            started = time.perf_counter()
            assert sum(pool.map(_encode, halves)) == len(texts)
            two = time.perf_counter() - started
            print(
                f"| {round_number} | {one:.1f} | {two:.1f} | {len(texts) / one:.1f} | {len(texts) / two:.1f}"
                f" | {one / two:.2f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
