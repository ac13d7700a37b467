"""Serve an index from shards on Ray Serve: the router here, each shard a deployment with replicas.

Each shard (embeddings/shard.py) opens a run of the live generation's segments and keeps their
vectors and postings in its own process, on any node of the cluster. The router is the process
that answers (the chat, `qa.ask`): it encodes the question once, asks every shard for its best
rows of each search, merges them into the whole index's best, asks the shards owning the
candidates for what ranking reads, and ranks exactly as the single-process `Retriever` does. It
opens the generation only to read articles and paragraphs (no vectors, no postings).

The generation live at start is served until the router stops: a build meanwhile is picked up
by a restart. A request a dying replica drops is sent again, to a live one.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings.cluster import import_ray
from embeddings.encoder import TextEncoder
from embeddings.index import (
    Index,
    RowsRead,
    SearchHits,
    open_index,
)
from embeddings.keywords import KeywordQuery
from embeddings.shard import ShardSearch, shard_segments
from qa.ranking import FusionWeights
from qa.retrieve import Retriever

ATTEMPTS = 4  # a request is tried this often before its error is the question's
RETRY_PAUSE = 0.2  # seconds, for Serve to route around a replica that died
TIMEOUT = 30.0  # seconds a shard may take over one request


@dataclass(frozen=True)
class Shard:
    """A shard as the router sees it: its Serve application and the rows it holds."""

    name: str  # of its application and deployment
    handle: object  # ray.serve.handle.DeploymentHandle
    first_row: int
    end_row: int


class ShardedRetriever(Retriever):
    """A `Retriever` whose searches and candidate reads are made by shards."""

    def __init__(
        self,
        index_dir: Path,
        shards: Sequence[Shard],
        *,
        generation: str | None = None,
        encoder: TextEncoder | None = None,
        weights: FusionWeights | None = None,
        candidates: int = 40,
    ) -> None:
        self.shards = list(shards)
        self.generation = generation
        super().__init__(index_dir, encoder=encoder, weights=weights, candidates=candidates)

    def current_index(self) -> Index:
        """The generation the shards serve, open for reading articles and paragraphs only."""
        with self._lock:
            if self._index is None:
                self._index = open_index(
                    self.index_dir, model=self.encoder.model_name, generation=self.generation, searchable=False
                )
                self.generation = self._index.folder.name  # None meant the live one: served from now on
            return self._index

    def hits(
        self, index: Index, vector: np.ndarray, query: KeywordQuery, counts: dict[str, int], allowed: np.ndarray | None
    ) -> SearchHits:
        """Every shard's best rows of each search, merged into the whole index's best."""
        calls = [(shard, "hits", (vector, query, counts, allowed)) for shard in self.shards]
        return SearchHits.merged(_gathered(calls), **counts)

    def read_rows(self, index: Index, rows: np.ndarray, query: KeywordQuery) -> RowsRead:
        """What ranking reads about the rows, each read by the shard holding it, joined in row order."""
        calls = []
        for shard in self.shards:
            held = rows[(rows >= shard.first_row) & (rows < shard.end_row)]
            if held.size:
                calls.append((shard, "read_rows", (held, query)))
        return RowsRead.joined(_gathered(calls))


def _gathered(calls: list[tuple[Shard, str, tuple]]) -> list:
    """The results of calling the shards, all sent at once; a call that fails is sent again.

    Serve's blocking calls refuse a thread that runs an event loop (a notebook's, a browser
    driver's), so from such a thread they are made from another.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _gathered_here(calls)
    with ThreadPoolExecutor(max_workers=1) as elsewhere:
        return elsewhere.submit(_gathered_here, calls).result()


def _gathered_here(calls: list[tuple[Shard, str, tuple]]) -> list:
    ray = import_ray()
    pending = [getattr(shard.handle, method).remote(*arguments) for shard, method, arguments in calls]
    results = []
    for (shard, method, arguments), response in zip(calls, pending, strict=True):
        for attempt in range(1, ATTEMPTS + 1):
            try:
                results.append(response.result(timeout_s=TIMEOUT))
                break
            except ray.exceptions.RayError:
                if attempt == ATTEMPTS:
                    raise
                time.sleep(RETRY_PAUSE * attempt)
                response = getattr(shard.handle, method).remote(*arguments)
    return results


@contextmanager
def serve_shards(index_dir: Path, *, shards: int, replicas: int = 1) -> Iterator[ShardedRetriever]:
    """The live generation served from `shards` Ray Serve deployments of `replicas` each, for the block.

    Call inside `embeddings.cluster.ray_cluster`. `IndexProblem` when there is no index or it
    has fewer segments than shards.
    """
    # The router opens the live generation first: a missing or unusable index is its usual one-line problem.
    retriever = ShardedRetriever(index_dir, [])
    manifest = retriever.current_index().manifest
    runs = shard_segments(manifest, shards, index_dir=index_dir)
    ray = import_ray()
    from ray import serve

    logging.getLogger("ray.serve").setLevel(logging.WARNING)
    # No HTTP proxy: the page and the JSON API are the router's; shards answer only handles.
    serve.start(proxy_location="Disabled", logging_config={"log_level": "WARNING"})
    cpus = min(1.0, ray.cluster_resources().get("CPU", 1.0) / (shards * replicas))
    router = f"aqa-{uuid.uuid4().hex[:8]}"  # this router's applications, beside any other's on the cluster
    first = 0
    try:
        for number, names in enumerate(runs):
            name = f"{router}-shard-{number}"
            deployment = serve.deployment(
                ShardSearch, name=name, num_replicas=replicas, ray_actor_options={"num_cpus": cpus}
            )
            handle = serve.run(
                deployment.bind(str(index_dir.resolve()), retriever.generation, names), name=name, route_prefix=None
            )
            end = first + sum(s.paragraphs for s in manifest.segments if s.name in names)
            retriever.shards.append(Shard(name, handle, first, end))
            first = end
        yield retriever
    finally:
        for number in range(len(runs)):
            serve.delete(f"{router}-shard-{number}")  # only this router's: a joined cluster may serve others


def add_shard_arguments(parser: argparse.ArgumentParser) -> None:
    """--ray, --shards and --replicas, shared with `qa.ask`; `check_shard_arguments` after parsing."""
    parser.add_argument(
        "--ray",
        metavar="local|ADDRESS",
        help="serve the index from shards on a Ray cluster: local starts one here, an address joins a running one"
        " (pip install -r requirements-ray.txt)",
    )
    parser.add_argument("--shards", type=int, metavar="N", help="with --ray: shards to serve from (default: 2)")
    parser.add_argument("--replicas", type=int, metavar="R", help="with --ray: replicas of each shard (default: 1)")


def check_shard_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.ray is None and (args.shards is not None or args.replicas is not None):
        parser.error("--shards and --replicas serve on Ray: add --ray local or --ray ADDRESS")
    args.shards, args.replicas = args.shards or 2, args.replicas or 1
    if args.shards < 1 or args.replicas < 1:
        parser.error("--shards and --replicas must be at least 1")
