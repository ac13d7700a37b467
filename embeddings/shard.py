"""One shard of an index: some of a generation's segments, searched as the whole index would search them.

A shard answers the two questions the retriever asks of an index for each question: the best
rows of each search (`Index.hits`) and what ranking reads about the chosen rows
(`Index.read_rows`). Row numbers are the whole generation's and BM25 scores with the whole
collection's statistics, so a router that merges the shards' hits (`SearchHits.merged`) gets the
candidates and features a single process would (qa/sharded.py serves shards on Ray Serve).
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np

from embeddings.index import Index, IndexProblem, Manifest, RowsRead, SearchHits, open_index
from embeddings.keywords import KeywordQuery


def shard_segments(manifest: Manifest, shards: int, *, index_dir: Path) -> list[list[str]]:
    """The generation's segments in `shards` runs of neighbours, about equal in rows.

    Runs keep row order, so the shards' reads joined in shard order are in row order.
    `IndexProblem` when there are fewer segments than shards.
    """
    segments = manifest.segments
    if len(segments) < shards:
        raise IndexProblem(
            f"index at {index_dir} has {len(segments)} segment{'s' * (len(segments) != 1)}, too few for {shards}"
            f" shards; rebuild it in as many: python -m embeddings.build --index {index_dir} --segments {shards}"
        )
    ends = np.cumsum([s.paragraphs for s in segments])
    cuts = [0]
    for part in range(1, shards):
        cut = int(np.searchsorted(ends, manifest.rows * part / shards)) + 1  # the first run reaching its share
        cuts.append(min(max(cut, cuts[-1] + 1), len(segments) - (shards - part)))
    cuts.append(len(segments))
    return [[s.name for s in segments[start:stop]] for start, stop in pairwise(cuts)]


class ShardSearch:
    """The search side of one shard, as a Ray Serve deployment runs it (any process can, though)."""

    def __init__(self, index_dir: str, generation: str, segments: list[str]) -> None:
        self.index: Index = open_index(Path(index_dir), generation=generation, only=segments)

    def hits(
        self, vector: np.ndarray, query: KeywordQuery, counts: dict[str, int], allowed: np.ndarray | None
    ) -> SearchHits:
        return self.index.hits(vector, query, allowed=allowed, **counts)

    def read_rows(self, rows: np.ndarray, query: KeywordQuery) -> RowsRead:
        return self.index.read_rows(rows, query)
