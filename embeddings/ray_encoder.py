"""The build's encoder on a Ray cluster: a Ray Data `map_batches` over a pool of actors.

Each actor loads the same packaged model as a local build and embeds whole chunks the build
hands it, so the batches the model sees are the ones a local build makes and the vectors agree
with it. Only the embedding moves to the cluster; reading, splitting, hashing and writing the
index stay in the building process, so a Ray build writes the same segments and manifest.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from embeddings.cluster import import_ray
from embeddings.encoder import DEFAULT_MODEL, Encoder, ReadsModelFiles, Spans

TextsWithSpans = Sequence[tuple[str, Spans]]  # a chunk: texts, each with the sentence spans to pool


class EmbedChunks:
    """A Ray Data actor: loads the model once, then embeds one chunk of texts (and their sentences) per call."""

    def __init__(self, model_name: str, threads: int) -> None:
        import torch

        torch.set_num_threads(threads)
        self.encoder = Encoder(model_name)
        self.encoder.load()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        chunks, vectors, positions = [], [], []
        for number, texts, spans in zip(batch["chunk"], batch["texts"], batch["spans"], strict=True):
            encoded = self.encoder.encode_with_sentences([str(text) for text in texts], json.loads(str(spans)))
            chunks.append(np.full(len(encoded), number, dtype=np.int64))
            positions.append(np.arange(len(encoded), dtype=np.int64))
            vectors.append(encoded)
        return {
            "chunk": np.concatenate(chunks),
            "position": np.concatenate(positions),
            "vector": np.concatenate(vectors),
        }


@dataclass
class RayEncoder(ReadsModelFiles):
    """Meets `ParagraphEncoder`: the vectors come from `actors` actors on the connected cluster
    (default: one per CPU the cluster has), each with `threads` torch threads; nothing is loaded
    here."""

    model_name: str = DEFAULT_MODEL
    actors: int | None = None
    threads: int = 1

    def load(self) -> None:
        """Nothing to load here: each actor loads its own model."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_with_sentences(texts, [[] for _ in texts])

    def encode_with_sentences(self, texts: Sequence[str], spans: Sequence[Spans]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return next(vectors for _, vectors in self.encode_chunks([list(zip(texts, spans, strict=True))]))

    def encode_chunks(self, chunks: Sequence[TextsWithSpans]) -> Iterator[tuple[int, np.ndarray]]:
        """Each chunk's vectors (each text's, then its spans') with its number, as the cluster
        finishes them (in any order)."""
        ray = import_ray()
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # the build shows its own
        context.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)  # after ray.data set its own logging up
        actors = self.actors or max(1, int(ray.cluster_resources().get("CPU", 1) // self.threads))
        dataset = ray.data.from_items(
            [
                {"chunk": number, "texts": [text for text, _ in items], "spans": json.dumps([s for _, s in items])}
                for number, items in enumerate(chunks)
            ],
            override_num_blocks=len(chunks),
        ).map_batches(
            EmbedChunks,
            fn_constructor_kwargs={"model_name": self.model_name, "threads": self.threads},
            batch_size=1,
            batch_format="numpy",
            num_cpus=self.threads,
            compute=ray.data.ActorPoolStrategy(size=min(actors, len(chunks))),
        )
        # Ray may cut or join the actors' output blocks, so rows are put back by chunk and position.
        rows = [sum(1 + len(spans) for _, spans in items) for items in chunks]
        vectors = {number: np.zeros((count, self.dimension), np.float32) for number, count in enumerate(rows)}
        missing = dict(enumerate(rows))
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            for number in np.unique(batch["chunk"]).tolist():
                mine = batch["chunk"] == number
                vectors[number][batch["position"][mine]] = batch["vector"][mine]
                missing[number] -= int(mine.sum())
                if not missing[number]:
                    yield number, vectors.pop(number)
