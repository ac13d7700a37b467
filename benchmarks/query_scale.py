"""Query latency and serving memory as the index grows: 10k, 100k, 1M paragraphs.

    python benchmarks/query_scale.py [--sizes 10000 100000 1000000] [--questions 200]

Source: the SQuAD v1.1 dev+train index (22,499 real paragraphs with their sentences, built by
`python -m qa.evaluate --distractors` first). Up to that size the index holds real text; larger
ones repeat it, each copy's paragraph and sentence vectors moved by Gaussian noise (sigma 0.03
a dimension, then re-normalised) so that copies are near neighbours, not duplicates, and its
articles renamed. Each size is written by the build's own `write_segment` (so the index type
is chosen by size, as in a user's build) into `.cache/scale/`, once.

Each size is then measured in a fresh process: the time to open the index, then for real dev
questions, one at a time, the whole `Answerer.ask` without the reader (p50/p95: retrieval and the
answer sentence by similarity, as before the reader existed) and, on the same questions, its
parts called alone: question encoding, the two vector searches, BM25 over every paragraph, and
the rest (fetching candidates, features, fusion, the answer sentence) as the difference; then the
whole answer with the reader, as the chat answers. Memory
is the serving process's peak resident size against the bytes of its vectors as bare float32 (paragraphs
and sentences).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings.articles import Article, read_articles
from embeddings.build import BuildReport, plan_rows
from embeddings.encoder import Encoder
from embeddings.index import (
    FORMAT_VERSION,
    Manifest,
    current_generation,
    new_generation_folder,
    open_index,
    publish,
)
from embeddings.segment import SegmentPlan, write_segment
from qa.datasets import CACHE, spread_dev_questions
from qa.ranking import FusionWeights

SOURCE_ARTICLES = CACHE / "squad" / "articles-dev+train"
SOURCE_INDEX = CACHE / "squad" / "index-dev+train"
NOISE = 0.03


def scaled_plan(source: SegmentPlan, size: int) -> tuple[SegmentPlan, np.ndarray, np.ndarray]:
    """`size` paragraphs: the source's, then renamed copies; with the source rows they repeat."""
    plan = SegmentPlan()
    paragraph_rows: list[int] = []
    copy = 0
    while len(plan.paragraphs) < size:
        for article, first, count in source.articles:
            count = min(count, size - len(plan.paragraphs))
            if count <= 0:
                break
            renamed = article if copy == 0 else replace(article, id=f"{article.id}#copy{copy}")
            plan.articles.append((renamed, len(plan.paragraphs), count))
            plan.paragraphs.extend(source.paragraphs[first : first + count])
            plan.spans.extend(source.spans[first : first + count])
            paragraph_rows.extend(range(first, first + count))
        copy += 1
    rows = np.array(paragraph_rows)
    sentence_counts = np.array([len(spans) for spans in source.spans])
    sentence_starts = np.concatenate([[0], np.cumsum(sentence_counts)[:-1]])
    counts = sentence_counts[rows]
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    sentence_rows = np.repeat(sentence_starts[rows], counts) + within
    return plan, rows, sentence_rows


def noisy(vectors: np.ndarray, rows: np.ndarray, real: int, rng: np.random.Generator) -> np.ndarray:
    """`vectors[rows]`, with every row past the first `real` moved by noise and re-normalised."""
    out = np.empty((len(rows), vectors.shape[1]), dtype=np.float32)
    for start in range(0, len(rows), 100_000):
        block = np.array(vectors[rows[start : start + 100_000]], dtype=np.float32)
        moved = np.arange(start, start + len(block)) >= real
        block[moved] += rng.normal(0, NOISE, size=(int(moved.sum()), vectors.shape[1])).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start : start + len(block)] = block
    return out


def source_plan() -> SegmentPlan:
    """The source index's articles as the build plans them (paragraphs, sentence spans, rows)."""
    if current_generation(SOURCE_INDEX) is None:
        raise SystemExit(f"build the source index first: python -m qa.evaluate --distractors ({SOURCE_INDEX} missing)")
    articles = [a for a in read_articles(SOURCE_ARTICLES) if isinstance(a, Article)]
    source = plan_rows(articles, Encoder(), BuildReport())
    if len(source.paragraphs) != Manifest.read(current_generation(SOURCE_INDEX)).paragraphs:
        raise SystemExit(f"{SOURCE_INDEX} is out of date with its articles: run python -m qa.evaluate --distractors")
    return source


def scaled_vectors(size: int, source: SegmentPlan) -> tuple[SegmentPlan, np.ndarray, np.ndarray]:
    """The `size`-paragraph plan and its paragraph and sentence vectors in float32, the same on every call
    (the noise is seeded by the size): what the index is written from, and what exact search compares with."""
    source_index = open_index(SOURCE_INDEX)
    paragraph_vectors = source_index.paragraph_vectors(np.arange(source_index.rows))
    sentence_vectors = source_index.sentence_vectors(np.arange(source_index.manifest.sentences))
    source_index.close()
    plan, rows, sentence_rows = scaled_plan(source, size)
    rng = np.random.default_rng(size)
    real_sentences = int(sum(len(spans) for spans in source.spans))
    paragraphs = noisy(paragraph_vectors, rows, len(source.paragraphs), rng)
    return plan, paragraphs, noisy(sentence_vectors, sentence_rows, real_sentences, rng)


def ensure_index(size: int, source: SegmentPlan) -> Path:
    index_dir = CACHE / "scale" / f"index-{size}"
    if current_generation(index_dir) is not None:
        return index_dir
    started = time.perf_counter()
    plan, paragraph_vectors, sentence_vectors = scaled_vectors(size, source)
    source_index = open_index(SOURCE_INDEX)
    folder = new_generation_folder(index_dir)
    segment = write_segment(folder / "seg-scale", plan, paragraph_vectors, sentence_vectors, "auto")
    del paragraph_vectors, sentence_vectors
    replace(
        source_index.manifest,
        format_version=FORMAT_VERSION,
        segments=[segment],
        articles=segment.articles,
        paragraphs=segment.paragraphs,
        sentences=segment.sentences,
        removed_paragraphs=0,
        built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        source_digest=f"scale-{size}",
        fusion=asdict(FusionWeights()),
    ).write(folder)
    source_index.close()
    publish(index_dir, folder)
    print(f"wrote the {size:,}-paragraph index in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return index_dir


def measure(index_dir: Path, questions: int) -> dict:
    """In this (fresh) process: open the index, ask, time the parts, read peak memory."""
    from embeddings.encoder import question_encoder
    from qa.answer import Answerer
    from qa.reader import Reader
    from qa.retrieve import Retriever

    encoder = question_encoder()
    encoder.encode(["warm up"])
    reader = Reader()
    reader.load()
    started = time.perf_counter()
    answerer = Answerer(Retriever(index_dir, encoder=encoder), reader=None)
    open_seconds = time.perf_counter() - started
    reading = replace(answerer, reader=reader)
    index = answerer.retriever.current_index()
    asked = spread_dev_questions(questions)
    reading.ask(asked[0])
    parts: dict[str, list[float]] = {
        part: [] for part in ("whole answer", "with the reader", "encode", "vector search", "BM25")
    }
    pool = answerer.retriever.candidates
    for question in asked:
        started = time.perf_counter()
        answerer.ask(question)
        parts["whole answer"].append(time.perf_counter() - started)
        started = time.perf_counter()
        reading.ask(question)
        parts["with the reader"].append(time.perf_counter() - started)
        started = time.perf_counter()
        vector = encoder.encode([question])[0]
        parts["encode"].append(time.perf_counter() - started)
        started = time.perf_counter()
        query = index.keywords.query(question)
        index.hits(vector, query, paragraphs=pool, sentences=2 * pool, keywords=0)
        parts["vector search"].append(time.perf_counter() - started)
        started = time.perf_counter()
        index.hits(vector, query, paragraphs=0, sentences=0, keywords=pool)
        parts["BM25"].append(time.perf_counter() - started)
    ms = {name: np.array(values) * 1000 for name, values in parts.items()}
    rest = ms["whole answer"] - ms["encode"] - ms["vector search"] - ms["BM25"]
    status = Path("/proc/self/status").read_text()
    peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
    return {
        "paragraphs": index.manifest.paragraphs,
        "sentences": index.manifest.sentences,
        "vector_index": index.manifest.segments[0].vector_index,
        "open_s": open_seconds,
        **{f"{name} p50": float(np.median(values)) for name, values in ms.items()},
        "whole answer p95": float(np.percentile(ms["whole answer"], 95)),
        "with the reader p95": float(np.percentile(ms["with the reader"], 95)),
        "rest p50": float(np.median(rest)),
        "peak_mb": peak_kb / 1024,
        "vector_mb": (index.manifest.paragraphs + index.manifest.sentences) * index.manifest.dimension * 4 / 2**20,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # internal: one size, this process
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.questions)))
        return 0
    source = source_plan()
    print(
        "| paragraphs | sentences | vector index (paragraphs, sentences) | open s | answer p50 ms | answer p95 ms"
        " | encode | vector search | BM25 | rest | with the reader p50 / p95 ms | peak RSS MB"
        " | RSS / float32 vector bytes |"
    )
    print("|" + " --- |" * 13)
    for size in args.sizes:
        index_dir = ensure_index(size, source)
        result = subprocess.run(
            [sys.executable, __file__, "--measure", str(index_dir), "--questions", str(args.questions)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "TOKENIZERS_PARALLELISM": "false"},
        )
        r = json.loads(result.stdout.strip().splitlines()[-1])
        kinds = ", ".join(r["vector_index"].values())
        print(
            f"| {r['paragraphs']:,} | {r['sentences']:,} | {kinds} | {r['open_s']:.2f} | {r['whole answer p50']:.1f}"
            f" | {r['whole answer p95']:.1f} | {r['encode p50']:.1f} | {r['vector search p50']:.1f}"
            f" | {r['BM25 p50']:.1f} | {r['rest p50']:.1f}"
            f" | {r['with the reader p50']:.1f} / {r['with the reader p95']:.1f} | {r['peak_mb']:,.0f}"
            f" | {r['peak_mb'] / r['vector_mb']:.2f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
