"""The retriever: the model it asks with, the features that tell candidates apart, the weights it ranks by."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from embeddings.build import build_index
from embeddings.encoder import Encoder
from embeddings.index import FusionWeights, current_generation
from qa.retrieve import FEATURES, Retriever, rarity_among, weighted_share, without_topic


def test_questions_are_encoded_by_the_model_the_index_was_built_with(
    articles_dir: Path, tmp_path: Path, encoder: Encoder
):
    """An index built with a model given by its folder gets questions encoded by that folder's model."""
    model = tmp_path / "my-model"
    shutil.copytree(encoder.path, model)
    index = tmp_path / "index"
    build_index(articles_dir, index, encoder=Encoder(str(model)), progress=False, log=lambda line: None)
    retriever = Retriever(index)
    assert retriever.encoder.model_name == str(model)
    [hit] = retriever.search("Where did Xi and Putin meet?", k=1)
    assert "Beijing" in hit.paragraph.text


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


def test_an_index_recording_fewer_features_is_ranked_with_todays_weights(seed_index: Path, tmp_path: Path):
    """Weights are fitted together: an index built before a feature existed must not mix old and new ones."""
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    folder = current_generation(index)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["fusion"]) == set(FEATURES)
    manifest["fusion"] = {name: 1.0 for name in FEATURES[:-1]}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert Retriever(index).fusion_weights() == FusionWeights()
    manifest["fusion"] = {name: 1.0 for name in FEATURES}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert Retriever(index).fusion_weights() == FusionWeights(**manifest["fusion"])
