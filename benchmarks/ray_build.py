"""A build on Ray against a local build of the same articles, side by side in one run.

    unshare -n bash -c 'ip link set lo up; .venv/bin/python benchmarks/ray_build.py [--rounds 2] [--questions N]'

Ray reaches for outside hosts, so run it inside a loopback-only network namespace, as above.
Builds SQuAD v1.1 dev (48 articles, 2,067 paragraphs) into a fresh index `--rounds` times each
way, alternating: locally (torch on every core, the model loaded by the build) and on a local
Ray cluster of the machine's cores (one single-threaded actor per core, each loading the model;
starting the cluster is not timed, starting the actors is). Prints each build's paragraphs a
second and their ratio, how far the two indexes' vectors differ, and then asks every dev
question (or the first N) of both and counts those whose passages (top 5) or quoted answer
sentence differ.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alternating_builds import alternating_builds, dev_folder, print_rates

from embeddings.cluster import ray_cluster
from embeddings.encoder import Encoder, OnnxEncoder
from embeddings.index import open_index
from embeddings.ray_encoder import RayEncoder
from qa.answer import Answerer
from qa.retrieve import Retriever


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--questions", type=int, default=0, help="ask only the first N dev questions (default all)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work, ray_cluster("local"):
        folder = Path(work) / "articles"
        questions = dev_folder(folder, questions=args.questions)
        ways = {"local": Encoder, "ray": RayEncoder}
        print_rates(alternating_builds(folder, Path(work), ways, rounds=args.rounds))

        local_dir, ray_dir = Path(work) / "local-0", Path(work) / "ray-0"
        local_index, ray_index = open_index(local_dir), open_index(ray_dir)
        for kind, rows in (("paragraph", local_index.rows), ("sentence", local_index.manifest.sentences)):
            read = getattr(local_index, f"{kind}_vectors"), getattr(ray_index, f"{kind}_vectors")
            local_vectors, ray_vectors = (vectors(np.arange(rows)) for vectors in read)
            same = int(np.all(local_vectors == ray_vectors, axis=1).sum())
            gap = float(np.abs(local_vectors - ray_vectors).max())
            print(f"{kind} vectors: {same} of {rows} bit for bit the same, largest difference {gap:.2e}")

        question_encoder = OnnxEncoder()
        vectors = question_encoder.encode([q.question for q in questions])
        local_answerer = Answerer(Retriever(local_dir, encoder=question_encoder))
        ray_answerer = Answerer(Retriever(ray_dir, encoder=question_encoder))
        passages_differ = sentences_differ = 0
        for question, vector in zip(questions, vectors, strict=True):
            local_reply, ray_reply = (
                answerer.ask(question.question, k=5, question_vector=vector)
                for answerer in (local_answerer, ray_answerer)
            )
            passages_differ += [(p.article, p.paragraph) for p in local_reply.passages] != [
                (p.article, p.paragraph) for p in ray_reply.passages
            ]
            sentences_differ += (local_reply.answer, local_reply.found) != (ray_reply.answer, ray_reply.found)
        print(
            f"{len(questions)} questions: passages differ for {passages_differ},"
            f" the quoted answer sentence for {sentences_differ}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
