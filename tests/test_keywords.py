"""BM25 postings: the same scores as bm25s, and the same whether the index is one segment or several."""

from __future__ import annotations

import bm25s
import numpy as np

from embeddings.articles import read_articles
from embeddings.keywords import KeywordIndex, KeywordSearch, terms
from tests.conftest import SEEDS, TOWNS, town_article

QUESTIONS = ["Who met in Beijing?", "library books maps newspapers", "Putin Putin Ukraine", "zzz unknown words"]


def paragraphs() -> list[str]:
    [seed] = list(read_articles(SEEDS))
    return [*seed.paragraphs, *(p for town in TOWNS for p in town_article(town).split("\n\n"))]


def test_scores_match_bm25s_lucene_on_real_text():
    texts = paragraphs()
    reference = bm25s.BM25()
    reference.index([terms(t) for t in texts], show_progress=False)
    search = KeywordSearch([KeywordIndex.build(terms(t) for t in texts)])
    for question in QUESTIONS:
        expected = reference.get_scores(terms(question)) if terms(question) else np.zeros(len(texts))
        assert np.allclose(search.scores(search.query(question)), expected, rtol=1e-5, atol=1e-6), question
    assert search.scores(search.query("library")).max() > 0
    assert not search.scores(search.query("zzz unknown words")).any()


def test_segments_score_with_the_statistics_of_the_whole_index(tmp_path):
    texts = paragraphs()
    whole = KeywordSearch([KeywordIndex.build(terms(t) for t in texts)])
    parts = []
    for number, (start, end) in enumerate([(0, 5), (5, 29), (29, len(texts))]):
        KeywordIndex.build(terms(t) for t in texts[start:end]).save(tmp_path / str(number))
        parts.append(KeywordIndex.load(tmp_path / str(number)))
    split = KeywordSearch(parts)
    for question in QUESTIONS:
        split_scores, whole_scores = split.scores(split.query(question)), whole.scores(whole.query(question))
        assert np.allclose(split_scores, whole_scores, rtol=1e-6), question
    assert split.term_weights(["librari"]) == whole.term_weights(["librari"])
