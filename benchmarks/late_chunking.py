"""Sentence vectors from the paragraph's own pass ("late chunking", the build's way) against
separately encoded ones (the build's way before).

    python benchmarks/late_chunking.py [--questions 3000]

Günther et al. 2024, "Late Chunking": run the model once over the paragraph and mean-pool the
token embeddings of each sentence's tokens (`Encoder.encode_with_sentences`), instead of encoding
each sentence again. On SQuAD v1.1 dev (2,249 paragraphs, 10,207 sentences), in one run:
- throughput, paragraphs a second, each way timed over the same paragraphs: a bare encode of the
  paragraphs alone; paragraphs and sentences encoded separately, each distinct text once (the
  build before); late chunking (one pass giving both);
- quality: the cached dev index (qa.evaluate's, built the late way) against a copy whose
  sentence vectors are the separately encoded ones, each asked the same dev questions (every
  n-th, `--questions` of them) through the whole answer: Recall@1/5 of the gold paragraph and the
  answer sentence.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings.build import unique_texts
from embeddings.encoder import Encoder, OnnxEncoder
from embeddings.index import open_index
from embeddings.segment import SegmentPlan
from embeddings.vector_index import create_vector_index
from qa.answer import Answerer
from qa.datasets import load_squad
from qa.evaluate import evaluate_mode, prepare_index
from qa.retrieve import Retriever


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--questions", type=int, default=3000, help="dev questions asked, spread over all (default 3000)"
    )
    args = parser.parse_args()
    articles = load_squad("dev")
    encoder = Encoder()
    cached = prepare_index("dev", articles, encoder)
    index = open_index(cached)
    stored = index.paragraphs(range(index.rows))
    texts = [p.text for p in stored]
    spans = [list(p.sentence_spans) for p in stored]
    plan = SegmentPlan([], [p for p in stored], spans)  # what unique_texts reads: paragraphs and their spans
    paragraph_texts, sentence_texts = unique_texts(plan)
    build_texts = list({**sentence_texts, **paragraph_texts}.values())
    encoder.encode(texts[:64])  # warm

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    encoder.encode(texts)
    seconds["bare encode of the paragraphs"] = time.perf_counter() - started
    started = time.perf_counter()
    separate = dict(zip(build_texts, encoder.encode(build_texts), strict=True))
    seconds["paragraphs and sentences encoded separately (the build before)"] = time.perf_counter() - started
    started = time.perf_counter()
    late = encoder.encode_with_sentences(texts, spans)
    seconds["late chunking, one pass (the build now)"] = time.perf_counter() - started
    bare = seconds["bare encode of the paragraphs"]
    for way, taken in seconds.items():
        print(f"{way}: {len(texts) / taken:.1f} paragraphs/s, {bare / taken:.3f}x the bare encode")
    paragraph_rows = np.cumsum([0, *(1 + len(s) for s in spans[:-1])])
    sentence_rows = np.setdiff1d(np.arange(len(late)), paragraph_rows)
    built = index.sentence_vectors(np.arange(index.manifest.sentences))
    same = int((np.abs(late[sentence_rows] - built).max(axis=1) < 1e-4).sum())
    print(f"the index's sentence vectors: {same} of {len(built)} are this run's late-chunked ones (within 1e-4)")
    separate_sentences = np.array([separate[p.text[a:b]] for p in stored for a, b in p.sentence_spans])

    questions = [q for article in articles for q in article.questions]
    questions = questions[:: max(1, len(questions) // args.questions)][: args.questions]
    asker = OnnxEncoder()
    vectors = asker.encode([q.question for q in questions])
    with tempfile.TemporaryDirectory() as work:
        separate_dir = Path(work) / "index"
        shutil.copytree(cached, separate_dir)
        copy = open_index(separate_dir)
        for segment in copy.segments:
            first, count = segment.offsets.sentences, segment.info.sentences
            rebuilt = create_vector_index(segment.info.vector_index["sentences"], copy.manifest.dimension, size=count)
            rebuilt.build(separate_sentences[first : first + count])
            rebuilt.save(segment.folder / "sentences.faiss")
        copy.close()
        ways = (("separately encoded sentence vectors", separate_dir), ("late-chunked sentence vectors", cached))
        for name, folder in ways:
            result = evaluate_mode(Answerer(Retriever(folder, encoder=asker)), questions, vectors, mode="hybrid")
            print(
                f"{name}: {len(questions)} dev questions, Recall@1 {result.recall[1]:.4f},"
                f" Recall@5 {result.recall[5]:.4f}, answer sentence {result.answer_sentence_accuracy:.4f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
