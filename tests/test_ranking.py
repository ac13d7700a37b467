"""Ranking on small hand-made inputs, no model and no index: each feature, the weights a manifest may record,
the fused score of each mode, and how readings re-rank passages and pick the sentence to quote."""

from __future__ import annotations

from dataclasses import asdict, astuple, fields, replace

import numpy as np
import pytest

from qa.ranking import (
    FEATURE_NAMES,
    FEATURES,
    FusionWeights,
    RankingInputs,
    coverage,
    distinct_match,
    feature_matrix,
    fused_scores,
    keyword,
    paragraph,
    quote_scores,
    rarity_among,
    read_fusion_weights,
    reranked_by_reading,
    sentence,
    sentence_phrase,
    weighted_share,
    without_topic,
)

X, Y, Z = np.eye(3, dtype=np.float32)


def two_candidates() -> RankingInputs:
    """Question terms "xi", "putin", "beijing" (the last twice as rare); two candidates of two sentences each.

    The first candidate's vector is the question's, and its first sentence is too and holds every term;
    the second candidate's sentences hold one term each and one holds both of the question's word pairs.
    """
    return RankingInputs(
        question_vector=X,
        paragraph_vectors=np.stack([X, Y]),
        sentence_vectors=np.stack([X, Y, Z, 0.6 * X + 0.8 * Y]),
        sentence_bounds=np.array([0, 2, 4]),
        sentence_holds=np.array([[1, 1, 1], [0, 0, 0], [1, 0, 0], [0, 1, 0]], dtype=bool),
        term_weights=np.array([1.0, 1.0, 2.0]),
        keyword_scores=np.array([2.0, 1.0], dtype=np.float32),
        best_keyword_score=4.0,
        question_pairs=frozenset({("xi", "putin"), ("putin", "beijing")}),
        sentence_pairs=(
            frozenset({("xi", "putin")}),
            frozenset(),
            frozenset({("xi", "putin"), ("putin", "beijing")}),
            frozenset(),
        ),
    )


def test_a_candidate_whose_vector_is_the_question_gets_paragraph_1():
    assert np.allclose(paragraph(two_candidates()), [1.0, 0.0])


def test_sentence_is_the_best_sentence_cosine_and_never_below_0():
    inputs = two_candidates()
    assert np.allclose(sentence(inputs), [1.0, 0.6])
    opposite = replace(inputs, sentence_vectors=-inputs.sentence_vectors)
    assert np.allclose(sentence(opposite), [0.0, 0.0])


def test_a_candidate_without_sentences_gets_0_from_every_sentence_feature():
    inputs = replace(two_candidates(), sentence_bounds=np.array([0, 0, 4]))
    for feature in (sentence, sentence_phrase, distinct_match):
        assert feature(inputs)[0] == 0


def test_keyword_is_bm25_over_the_questions_best_and_0_when_nothing_matched():
    inputs = two_candidates()
    assert np.allclose(keyword(inputs), [0.5, 0.25])
    assert not keyword(replace(inputs, keyword_scores=np.zeros(2), best_keyword_score=0.0)).any()


def test_coverage_is_the_weighted_share_of_the_question_terms_any_sentence_holds():
    inputs = two_candidates()
    assert np.allclose(coverage(inputs), [1.0, 0.5])  # the second lacks "beijing", half the weight
    assert np.allclose(inputs.sentence_coverage, [1.0, 0.0, 0.25, 0.25])  # a sentence holding all terms gets 1


def test_a_question_of_stop_words_only_covers_nothing():
    inputs = replace(
        two_candidates(),
        sentence_holds=np.zeros((4, 0), dtype=bool),
        term_weights=np.zeros(0),
        question_pairs=frozenset(),
    )
    assert not coverage(inputs).any() and not inputs.sentence_coverage.any() and not sentence_phrase(inputs).any()


def test_sentence_phrase_counts_the_question_pairs_found_together_in_one_sentence():
    inputs = two_candidates()
    assert np.allclose(sentence_phrase(inputs), [0.5, 1.0])
    apart = replace(
        inputs,
        sentence_pairs=(frozenset({("xi", "putin")}), frozenset({("putin", "beijing")}), frozenset(), frozenset()),
    )
    assert np.allclose(sentence_phrase(apart), [0.5, 0.0])  # one pair in each of two sentences is not the phrase


def test_distinct_match_ignores_the_direction_the_candidates_share():
    """Both candidates lie along X (their topic); the question is X plus a little Z. The first candidate's
    sentence is nearer the question by cosine only through X; the second's matches the Z left over."""
    question = (X + 0.5 * Z) / np.linalg.norm(X + 0.5 * Z)
    near_by_topic = (X + 0.2 * Y) / np.linalg.norm(X + 0.2 * Y)
    near_by_rest = (0.3 * X + Z) / np.linalg.norm(0.3 * X + Z)
    inputs = RankingInputs(
        question_vector=question,
        paragraph_vectors=np.stack([X, X]),
        sentence_vectors=np.stack([near_by_topic, near_by_rest]),
        sentence_bounds=np.array([0, 1, 2]),
        sentence_holds=np.zeros((2, 0), dtype=bool),
        term_weights=np.zeros(0),
        keyword_scores=np.zeros(2),
        best_keyword_score=0.0,
        question_pairs=frozenset(),
        sentence_pairs=(frozenset(), frozenset()),
    )
    first, second = sentence(inputs)
    assert first > second
    assert np.allclose(distinct_match(inputs), [0.0, 0.5])  # mean of cosine without the topic (0, 1) and words (0)


def test_distinct_match_weighs_words_by_their_rarity_among_the_candidates():
    """Both candidates hold "xi"; only the second holds "putin": a sentence holding "putin" counts more."""
    inputs = replace(
        two_candidates(),
        paragraph_vectors=np.stack([X, X]),
        sentence_vectors=np.stack([Y, Y, Y, Y]),  # no cosine left once the topic X is out: words decide
        sentence_holds=np.array([[1, 0], [0, 0], [1, 1], [0, 0]], dtype=bool),
        term_weights=np.array([1.0, 1.0]),
    )
    common, rare = rarity_among(inputs.paragraph_holds)
    assert np.allclose(distinct_match(inputs), [common / (common + rare) / 2, 0.5])


def test_the_feature_matrix_has_one_column_per_feature_in_registry_order():
    inputs = two_candidates()
    matrix = feature_matrix(inputs)
    assert matrix.shape == (2, len(FEATURES)) and matrix.dtype == np.float32
    for column, feature in enumerate(FEATURES):
        assert np.allclose(matrix[:, column], feature(inputs))


def test_the_weights_have_one_field_per_feature_in_registry_order_and_sum_to_1():
    assert tuple(field.name for field in fields(FusionWeights)) == FEATURE_NAMES
    assert sum(astuple(FusionWeights())) == pytest.approx(1.0, abs=0.002)  # fitted, then rounded to 3 places
    assert np.allclose(FusionWeights().vector(), astuple(FusionWeights()))


def test_recorded_weights_for_exactly_todays_features_are_used():
    recorded = {name: float(number) for number, name in enumerate(FEATURE_NAMES)}
    assert asdict(read_fusion_weights(recorded)) == recorded
    assert read_fusion_weights(dict.fromkeys(FEATURE_NAMES, 1)) == FusionWeights(*[1.0] * len(FEATURE_NAMES))


@pytest.mark.parametrize(
    "recorded",
    [
        {},  # built by `python -m embeddings.build`, which does not know the ranking
        {name: 1.0 for name in FEATURE_NAMES[:-1]},  # built before the last feature existed
        {**dict.fromkeys(FEATURE_NAMES, 1.0), "sentence_match": 1.0},  # a feature since dropped
        {**dict.fromkeys(FEATURE_NAMES, 1.0), "keyword": "0.5"},
        {**dict.fromkeys(FEATURE_NAMES, 1.0), "keyword": None},
        {**dict.fromkeys(FEATURE_NAMES, 1.0), "keyword": True},
        {**dict.fromkeys(FEATURE_NAMES, 1.0), "keyword": float("nan")},
        {**dict.fromkeys(FEATURE_NAMES, 1.0), "keyword": float("inf")},
        list(FEATURE_NAMES),
        None,
    ],
)
def test_recorded_weights_that_do_not_fit_todays_features_give_the_defaults(recorded):
    assert read_fusion_weights(recorded) == FusionWeights()


def test_each_mode_scores_by_its_own_features():
    features = feature_matrix(two_candidates())
    assert np.array_equal(
        fused_scores(features, "dense", FusionWeights()), features[:, FEATURE_NAMES.index("paragraph")]
    )
    assert np.array_equal(fused_scores(features, "bm25", FusionWeights()), features[:, FEATURE_NAMES.index("keyword")])
    only_coverage = FusionWeights(**{name: float(name == "coverage") for name in FEATURE_NAMES})
    assert np.allclose(fused_scores(features, "hybrid", only_coverage), [1.0, 0.5])
    weighted = sum(getattr(FusionWeights(), name) * features[:, column] for column, name in enumerate(FEATURE_NAMES))
    assert np.allclose(fused_scores(features, "hybrid", FusionWeights()), weighted)


def test_a_word_every_candidate_holds_weighs_less_than_one_few_hold():
    holds = np.array([[True, True], [True, False], [True, False]])  # terms: the topic, a rarer word
    topic, rare = rarity_among(holds)
    assert rare > topic > 0


def test_weighted_share_counts_the_weight_of_the_terms_a_row_holds():
    holds = np.array([[True, False], [True, True], [False, False]])
    assert np.allclose(weighted_share(holds, np.array([1.0, 3.0])), [0.25, 1.0, 0.0])
    assert not weighted_share(np.zeros((2, 0), dtype=bool), np.zeros(0)).any()  # a question of stop words only


def test_without_topic_leaves_unit_vectors_orthogonal_to_the_topic():
    rng = np.random.default_rng(0)
    vectors, topic = rng.normal(size=(5, 8)), rng.normal(size=8)
    rest = without_topic(vectors, topic)
    assert np.allclose(rest @ topic, 0, atol=1e-9)
    assert np.allclose(np.linalg.norm(rest, axis=1), 1)


def test_reading_raises_a_passage_by_at_most_its_weight_and_keeps_the_order_of_equal_readings():
    scores, readings = np.array([0.6, 0.5, 0.4]), np.array([-8.0, 8.0, 8.0])
    reranked = reranked_by_reading(scores, readings, 0.3)
    assert np.all(reranked >= scores) and np.all(reranked <= scores + 0.3)
    assert list(np.argsort(-reranked)) == [1, 2, 0]  # the passages whose sentence answers come first
    np.testing.assert_allclose(reranked_by_reading(scores, readings, 0.0), scores)


def test_the_sentence_to_quote_weighs_its_reading_against_its_passage_rank():
    readings, scores = np.array([2.0, 2.5]), np.array([0.8, 0.5])
    assert np.argmax(quote_scores(readings, scores, 0.0)) == 1
    assert np.argmax(quote_scores(readings, scores, 4.0)) == 0
