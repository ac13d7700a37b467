"""Building with the int8 ONNX encoder against torch, side by side in one run: speed and quality.

    python benchmarks/build_encoder.py [--rounds 2] [--questions N]

Builds SQuAD v1.1 dev (48 articles, 2,249 paragraph rows and their sentences) into a fresh index
`--rounds` times each way, alternating: with the torch model (sentence-transformers, torch on
every core) and with the same MiniLM as int8 ONNX (onnxruntime, one thread a core). Prints each
build's paragraphs a second and their ratio, then evaluates both indexes on every dev question
(or the first N), encoded once by the chat's question encoder: Recall@1 and @5 of the right
paragraph and the share of quoted sentences that hold a gold answer.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alternating_builds import alternating_builds, dev_folder, print_rates

from embeddings.encoder import Encoder, OnnxEncoder, question_encoder
from qa.answer import Answerer
from qa.evaluate import evaluate_mode
from qa.retrieve import Retriever

BUILD_ENCODERS = {"torch": Encoder, "onnx": lambda: OnnxEncoder(threads=os.cpu_count() or 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--questions", type=int, default=0, help="evaluate on the first N dev questions (default all)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / "articles"
        questions = dev_folder(folder, questions=args.questions)
        print_rates(alternating_builds(folder, Path(work), BUILD_ENCODERS, rounds=args.rounds))

        asker = question_encoder()
        vectors = asker.encode([q.question for q in questions])
        print(f"{len(questions)} dev questions | R@1 | R@5 | answer sentence | phrase F1")
        for kind in BUILD_ENCODERS:
            answerer = Answerer(Retriever(Path(work) / f"{kind}-0", encoder=asker))
            result = evaluate_mode(answerer, questions, vectors, mode="hybrid", latency_sample=20)
            print(
                f"built with {kind} | {result.recall[1]:.4f} | {result.recall[5]:.4f}"
                f" | {result.answer_sentence_accuracy:.4f} | {result.phrase_f1:.4f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
