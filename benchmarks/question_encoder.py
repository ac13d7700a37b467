"""Torch against int8 ONNX for encoding questions, side by side in one run on SQuAD v1.1 dev.

    python benchmarks/question_encoder.py [--questions N]

For each encoder: the time to encode one question (p50/p95 over a sample, one at a time, as the
chat does) and the hybrid retrieval quality over the dev questions. ONNX is adopted only if its
Recall@1 stays within 0.005 of torch's.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings.encoder import Encoder, question_encoder
from qa.answer import Answerer
from qa.datasets import load_squad
from qa.evaluate import evaluate_mode, prepare_index
from qa.retrieve import Retriever


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=0, help="an evenly spaced sample (0: all 10,570)")
    args = parser.parse_args()
    dev = load_squad("dev")
    index_dir = prepare_index("dev", dev, Encoder())
    questions = [q for article in dev for q in article.questions]
    if args.questions:
        questions = [questions[i] for i in np.linspace(0, len(questions) - 1, args.questions).round().astype(int)]
    encoders = {kind: question_encoder(kind=kind) for kind in ("torch", "onnx")}
    for encoder in encoders.values():
        encoder.encode(["warm up"])
    sample = [q.question for q in questions[:: max(1, len(questions) // 300)]]
    print("| encoder | encode p50 ms | encode p95 ms | R@1 | R@5 | MRR@10 | answer sentence | ask p50 ms |")
    print("|" + " --- |" * 8)
    figures = {}
    for kind, encoder in encoders.items():
        timings = []
        for question in sample:
            started = time.perf_counter()
            encoder.encode([question])
            timings.append((time.perf_counter() - started) * 1000)
        answerer = Answerer(Retriever(index_dir, encoder=encoder))
        vectors = encoder.encode([q.question for q in questions])
        result = evaluate_mode(answerer, questions, vectors, mode="hybrid")
        figures[kind] = (np.percentile(timings, 50), result)
        print(
            f"| {kind} | {np.percentile(timings, 50):.2f} | {np.percentile(timings, 95):.2f} | {result.recall[1]:.4f}"
            f" | {result.recall[5]:.4f} | {result.mrr_at_10:.4f} | {result.answer_sentence_accuracy:.4f}"
            f" | {result.latency_p50_ms:.1f} |",
            flush=True,
        )
    (torch_ms, torch_result), (onnx_ms, onnx_result) = figures["torch"], figures["onnx"]
    print(
        f"{len(questions)} questions; ONNX encodes a question {torch_ms / onnx_ms:.2f}x faster;"
        f" R@1 difference (onnx - torch) {onnx_result.recall[1] - torch_result.recall[1]:+.4f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
