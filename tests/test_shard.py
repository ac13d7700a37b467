"""Shards of an index, in one process: a full build in N segments, the collection's BM25 statistics,
and searches over runs of segments that merge into exactly the whole index's."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from embeddings.build import main as build_main
from embeddings.index import IndexProblem, Manifest, RowsRead, SearchHits, current_generation, open_index
from embeddings.keywords import CollectionStatistics, KeywordSearch
from embeddings.shard import ShardSearch, shard_segments
from tests.conftest import SECOND_ARTICLE, TOWNS, StandInEncoder, quiet_build, town_article

QUESTIONS = [
    "Who runs reading hours for children on Saturday?",
    "What does the library lend?",
    "When did the harbour bridge reopen?",
    "Which Al Jazeera correspondent commented on China's stance?",
    "old newspapers about the river valley",
]
COUNTS = {"paragraphs": 6, "sentences": 12, "keywords": 6}


@pytest.fixture(scope="module")
def segmented(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed, a second article and ten near-identical town articles (ties in BM25), in three segments."""
    folder = tmp_path_factory.mktemp("articles")
    (folder / "bridge.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    for town in TOWNS:
        (folder / f"{town}.txt").write_text(town_article(town), encoding="utf-8")
    index = tmp_path_factory.mktemp("index")
    report = quiet_build(folder, index, StandInEncoder(), segments=3)
    assert report.segments == 3 and "in 3 segments" in report.summary()
    return index


def test_a_full_build_in_segments_splits_whole_articles_about_evenly(segmented: Path):
    index = open_index(segmented)
    sizes = [s.paragraphs for s in index.manifest.segments]
    assert sum(sizes) == index.manifest.paragraphs and max(sizes) - min(sizes) <= 4  # one article's paragraphs
    for segment in index.segments:
        rows = [row for entry in segment.store.articles() for row in entry.paragraph_rows]
        assert rows == list(range(segment.offsets.paragraphs, segment.offsets.paragraphs + segment.info.paragraphs))
    assert index.manifest.settings["segments"] == 3


def test_later_builds_keep_the_segment_count(segmented: Path, tmp_path: Path):
    index = tmp_path / "index"
    shutil.copytree(segmented, index)
    assert quiet_build(None, index, StandInEncoder()).up_to_date
    articles = Path(open_index(index).manifest.articles_dir)
    added = tmp_path / "articles"
    shutil.copytree(articles, added)
    (added / "Kelso.txt").write_text(town_article("Kelso"), encoding="utf-8")
    appended = quiet_build(added, index, StandInEncoder(), replace=True)
    assert appended.appended and appended.segments == 4 and appended.embedded_paragraphs == 3
    compacted = quiet_build(None, index, StandInEncoder(), full=True)
    assert compacted.segments == 3 and open_index(index).manifest.settings["segments"] == 3
    resegmented = quiet_build(None, index, StandInEncoder(), segments=2)
    assert resegmented.segments == 2 and resegmented.embedded_paragraphs == 0  # every vector reused


def test_the_collection_statistics_kept_beside_the_manifest_are_the_segments_summed(segmented: Path):
    index = open_index(segmented)
    kept = CollectionStatistics.load(index.folder)
    summed = KeywordSearch([s.keywords for s in index.segments])
    assert kept.size == summed.size == index.rows
    for term in ["librari", "bridg", "volunt", "nowher"]:
        assert kept.document_frequency.get(term, 0) == summed.document_frequency(term)


def test_scores_of_a_few_rows_equal_the_same_rows_of_scoring_them_all(segmented: Path):
    index = open_index(segmented)
    for question in QUESTIONS:
        query = index.keywords.query(question)
        every = index.keywords.scores(query)
        rows = np.flatnonzero(np.arange(index.rows) % 3 != 1)
        assert np.array_equal(index.keywords.scores_at(query, rows), every[rows])


def test_shards_searching_runs_of_segments_merge_into_exactly_the_whole_index(segmented: Path):
    whole = open_index(segmented)
    manifest = whole.manifest
    encoder = StandInEncoder()
    for shards in (1, 2, 3):
        runs = shard_segments(manifest, shards, index_dir=segmented)
        assert [name for run in runs for name in run] == [s.name for s in manifest.segments]
        parts = [ShardSearch(str(segmented), whole.folder.name, run) for run in runs]
        for question in QUESTIONS:
            vector = encoder.encode([question])[0]
            query = whole.keywords.query(question)
            expected = whole.hits(vector, query, **COUNTS)
            merged = SearchHits.merged([p.hits(vector, query, COUNTS, None) for p in parts], **COUNTS)
            for search in ("paragraphs", "sentences", "keywords"):
                assert np.array_equal(getattr(merged, search).rows, getattr(expected, search).rows), (question, search)
                assert np.array_equal(getattr(merged, search).scores, getattr(expected, search).scores)
            assert merged.best_keyword_score == expected.best_keyword_score
            rows = expected.rows()
            read = RowsRead.joined([p.read_rows(rows[np.isin(rows, held(p))], query) for p in parts])
            alone = whole.read_rows(rows, query)
            assert [p.row for p in read.paragraphs] == rows.tolist()
            assert np.array_equal(read.paragraph_vectors, alone.paragraph_vectors)
            assert np.array_equal(read.sentence_vectors, alone.sentence_vectors)
            assert np.array_equal(read.keyword_scores, alone.keyword_scores)


def held(shard: ShardSearch) -> np.ndarray:
    """The rows the shard holds."""
    numbers = shard.index.row_numbers
    return np.arange(shard.index.rows) if numbers is None else numbers


def test_restricted_hits_stay_inside_the_allowed_rows_on_every_shard(segmented: Path):
    whole = open_index(segmented)
    allowed = np.zeros(whole.rows, dtype=bool)
    allowed[[0, 5, whole.rows - 1]] = True
    runs = shard_segments(whole.manifest, 3, index_dir=segmented)
    vector = StandInEncoder().encode(["library"])[0]
    query = whole.keywords.query("library")
    parts = [ShardSearch(str(segmented), whole.folder.name, run).hits(vector, query, COUNTS, allowed) for run in runs]
    merged = SearchHits.merged(parts, **COUNTS)
    assert set(merged.rows().tolist()) <= {0, 5, whole.rows - 1}
    assert np.array_equal(merged.rows(), whole.hits(vector, query, allowed=allowed, **COUNTS).rows())


def test_more_shards_than_segments_is_one_line_naming_the_index_and_the_rebuild(segmented: Path):
    manifest = Manifest.read(current_generation(segmented))
    with pytest.raises(IndexProblem) as problem:
        shard_segments(manifest, 4, index_dir=segmented)
    message = str(problem.value)
    assert "\n" not in message and "3 segments, too few for 4 shards" in message
    assert f"--index {segmented} --segments 4" in message


def test_segments_below_one_is_refused_by_the_command_line(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit):
        build_main(["--segments", "0"])
    assert "--segments must be at least 1" in capsys.readouterr().err
