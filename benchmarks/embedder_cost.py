"""What a stronger embedder costs: all-mpnet-base-v2 against the default MiniLM, side by side.

    python -m embeddings.models all-mpnet-base-v2   # once
    python benchmarks/embedder_cost.py [--paragraphs 200] [--questions 200]

On the same SQuAD dev texts in one run: paragraphs embedded a second in batches (as the build
does) and one question encoded alone (as the chat does), p50 in ms, for MiniLM by torch, MiniLM
by int8 ONNX (the chat's question encoder) and mpnet by torch. Prints each and mpnet's ratios.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings.encoder import DEFAULT_MODEL, Encoder, OnnxEncoder, TextEncoder
from qa.datasets import load_squad

MPNET = "all-mpnet-base-v2"


def question_ms(encoder: TextEncoder, questions: list[str]) -> float:
    encoder.encode(questions[:2])
    times = []
    for question in questions:
        started = time.perf_counter()
        encoder.encode([question])
        times.append(time.perf_counter() - started)
    return float(np.median(times) * 1000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=200)
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()
    dev = load_squad("dev")
    paragraphs = [p for article in dev for p in article.paragraphs][: args.paragraphs]
    questions = [q.question for article in dev for q in article.questions][:: 10570 // args.questions][: args.questions]
    minilm, mpnet = Encoder(DEFAULT_MODEL), Encoder(MPNET)
    rows = {}
    for name, encoder in (("MiniLM (torch)", minilm), ("mpnet (torch)", mpnet)):
        encoder.encode(paragraphs[:8])
        started = time.perf_counter()
        encoder.encode(paragraphs)
        rows[name] = (len(paragraphs) / (time.perf_counter() - started), question_ms(encoder, questions))
    rows["MiniLM (int8 ONNX, the chat's)"] = (float("nan"), question_ms(OnnxEncoder(DEFAULT_MODEL), questions))
    print(f"{len(paragraphs)} dev paragraphs, {len(questions)} dev questions")
    print("| encoder | paragraphs/s (batched) | question p50 ms (alone) |")
    print("| --- | --- | --- |")
    for name, (rate, ms) in rows.items():
        print(f"| {name} | {rate:.1f} | {ms:.1f} |")
    (minilm_rate, minilm_ms), (mpnet_rate, mpnet_ms) = rows["MiniLM (torch)"], rows["mpnet (torch)"]
    onnx_ms = rows["MiniLM (int8 ONNX, the chat's)"][1]
    print(
        f"mpnet embeds {minilm_rate / mpnet_rate:.1f} x slower than MiniLM; a question costs"
        f" {mpnet_ms / minilm_ms:.1f} x torch MiniLM and {mpnet_ms / onnx_ms:.1f} x ONNX MiniLM"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
