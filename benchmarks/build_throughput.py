"""Whole-build throughput against the bare encoder on the same texts, side by side in one run.

    python benchmarks/build_throughput.py [--articles 150] [--rounds 2]

Takes the first N BBC News articles (fetched into `.cache/`), then alternates, `--rounds` times:
the bare `SentenceTransformer.encode` of the build's paragraphs alone, and a full build of the
same folder into a fresh index (reading, splitting, embedding paragraphs and sentences, BM25,
FAISS, SQLite, publishing). Prints paragraphs a second for each and their ratio; the target
(issue 16) is a build, sentence vectors included, at 90 % or more of the bare encoder's rate.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings.articles import Article, read_articles
from embeddings.build import BuildReport, build_index, plan_rows, unique_texts
from embeddings.encoder import Encoder
from qa.datasets import bbc_articles


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=150, help="how many BBC articles (default 150)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    encoder = Encoder()
    encoder.load()
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / "articles"
        for file in sorted(bbc_articles().rglob("*.txt"))[: args.articles]:
            target = folder / file.parent.name / file.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(file, target)
        articles = [a for a in read_articles(folder) if isinstance(a, Article)]
        paragraph_texts, sentence_texts = unique_texts(plan_rows(articles, encoder, BuildReport()))
        texts = list(paragraph_texts.values())
        paragraphs = len(paragraph_texts)
        print(f"{len(articles)} articles: {paragraphs} paragraphs and {len(sentence_texts)} sentences")
        print("| round | bare encode s | build s | bare paragraphs/s | build paragraphs/s | build / bare |")
        print("| --- | --- | --- | --- | --- | --- |")
        for round_number in range(1, args.rounds + 1):
            started = time.perf_counter()
            encoder.model.encode(texts, batch_size=encoder.batch_size, normalize_embeddings=True)
            bare = time.perf_counter() - started
            index = Path(work) / f"index-{round_number}"
            started = time.perf_counter()
            report = build_index(folder, index, encoder=encoder, progress=False, log=lambda line: None)
            build = time.perf_counter() - started
            assert report.paragraphs == paragraphs and report.embedded_paragraphs == paragraphs
            print(
                f"| {round_number} | {bare:.1f} | {build:.1f} | {paragraphs / bare:.1f} | {paragraphs / build:.1f}"
                f" | {bare / build:.2f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
