"""Approximate against exact search on the same vectors and questions: recall and time, side by side.

    python benchmarks/approximate_recall.py [--questions 500] [--only 1000000] [--ivf-probes 32 128]

Vectors: the paragraphs and sentences of the SQuAD v1.1 dev+train index (real text), and of the
larger indexes `benchmarks/query_scale.py` wrote, if present. Queries: dev questions, encoded as
the chat encodes them. The approximate side is the index as the build wrote it (HNSW with float16
vectors below a million; from there IVF over 4-bit codes, its hits scored again on float16
vectors); the exact side is flat search over
the float32 vectors (for the scale indexes the very vectors they were written from, regenerated;
for the real index, read back from it), a block of 500,000 at a time so that a million-paragraph
index fits in memory. Reports Recall@10 of the approximate index against exact search (the share
of the exact top 10 it also returns), the recall of the deeper candidate list retrieval asks for,
and the time a question, one at a time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from query_scale import scaled_vectors, source_plan

from embeddings.encoder import question_encoder
from embeddings.index import current_generation, open_index
from embeddings.vector_index import FaissIndex, create_vector_index
from qa.datasets import CACHE, spread_dev_questions

CANDIDATES = {"paragraphs": 40, "sentences": 80}  # what retrieval asks each index for
BLOCK = 500_000


def exact_search(vectors: FaissIndex | np.ndarray, queries: np.ndarray, depth: int) -> tuple[np.ndarray, float]:
    """Exact top `depth` rows of `vectors` (a matrix, or those stored in an index) for every query,
    and the milliseconds a question it takes, one at a time."""
    best_scores = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_rows = np.zeros((len(queries), 0), dtype=np.int64)
    seconds = 0.0
    for start in range(0, len(vectors), BLOCK):
        rows = np.arange(start, min(start + BLOCK, len(vectors)))
        block = create_vector_index("flat", queries.shape[1])
        block.build(vectors[rows] if isinstance(vectors, np.ndarray) else vectors.vectors(rows))
        started = time.perf_counter()
        for query in queries:
            block.search(query[None, :], depth)
        seconds += time.perf_counter() - started
        scores, rows = block.search(queries, depth)
        best_scores = np.hstack([best_scores, scores])
        best_rows = np.hstack([best_rows, rows + start])
        order = np.argsort(-best_scores, axis=1, kind="stable")[:, :depth]
        best_scores = np.take_along_axis(best_scores, order, axis=1)
        best_rows = np.take_along_axis(best_rows, order, axis=1)
    return best_rows, seconds / len(queries) * 1000


def recall(exact: np.ndarray, approximate: np.ndarray) -> float:
    return float(np.mean([len(set(e) & set(a)) / len(e) for e, a in zip(exact, approximate, strict=True)]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--only", help="measure only the indexes whose folder name contains this, e.g. 1000000")
    parser.add_argument("--ivf-probes", type=int, nargs="*", default=[], help="IVF: also probe this many lists")
    args = parser.parse_args()
    questions = spread_dev_questions(args.questions)
    queries = question_encoder().encode(questions)
    sources = [CACHE / "squad" / "index-dev+train", *sorted((CACHE / "scale").glob("index-*"))]
    sources = [source for source in sources if args.only is None or args.only in source.name]
    print("| vectors | count | kind | exact ms | approximate ms | speed-up | Recall@10 | recall of the candidates |")
    print("|" + " --- |" * 8)
    for source in sources:
        if current_generation(source) is None:
            continue
        scaled = source.parent.name == "scale"
        index = open_index(source)
        segment = max(index.segments, key=lambda s: s.info.paragraphs)  # the large one; appended ones are small
        written = dict(zip(CANDIDATES, scaled_vectors(index.rows, source_plan())[1:], strict=True)) if scaled else {}
        for name, depth in CANDIDATES.items():
            stored = segment.paragraph_index if name == "paragraphs" else segment.sentence_index
            exact, exact_ms = exact_search(written.get(name, stored), queries, depth)
            built_with = stored.index.nprobe if stored.kind == "ivf" else None
            for probes in [built_with] if built_with is None else sorted({built_with, *args.ivf_probes}):
                kind = stored.kind
                if probes is not None:
                    stored.index.nprobe = probes
                    kind = f"ivf, {probes} of {stored.index.nlist} lists" + " (as built)" * (probes == built_with)
                started = time.perf_counter()
                for query in queries:
                    stored.search(query[None, :], depth)
                approximate_ms = (time.perf_counter() - started) / len(queries) * 1000
                found = stored.search(queries, depth)[1]
                print(
                    f"| {source.name} {name} | {len(stored):,} | {kind} | {exact_ms:.2f} | {approximate_ms:.2f}"
                    f" | {exact_ms / approximate_ms:.0f}x | {recall(exact[:, :10], found[:, :10]):.4f}"
                    f" | {recall(exact, found):.4f} (top {depth}) |",
                    flush=True,
                )
        index.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
