"""The retriever: the model it asks with, the weights it ranks by (the features are in test_ranking.py)."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

from embeddings.build import build_index
from embeddings.encoder import Encoder, TextEncoder
from embeddings.index import current_generation
from qa.ranking import FEATURE_NAMES, FusionWeights
from qa.retrieve import Retriever
from tests.conftest import SECOND_ARTICLE, TOWNS, StandInEncoder, quiet_build, town_article


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


def test_an_index_recording_other_features_or_none_is_ranked_with_todays_weights(
    seed_index: Path, tmp_path: Path, question_encoder: TextEncoder
):
    """Weights are fitted together: an index built before a feature existed must not mix old and new ones, and
    one built by `python -m embeddings.build`, which records none, is ranked as the app's would be."""
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    manifest_file = current_generation(index) / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    assert manifest["fusion"] == asdict(FusionWeights())
    for recorded in ({name: 1.0 for name in FEATURE_NAMES[:-1]}, {}):
        manifest_file.write_text(json.dumps({**manifest, "fusion": recorded}))
        assert Retriever(index, encoder=question_encoder).fusion_weights() == FusionWeights()
    recorded = {name: 1.0 for name in FEATURE_NAMES}
    manifest_file.write_text(json.dumps({**manifest, "fusion": recorded}))
    assert Retriever(index, encoder=question_encoder).fusion_weights() == FusionWeights(**recorded)


def files_held_on_retired_generations(index: Path) -> list[str]:
    """Files this process holds open in generations of `index` that are no longer live."""
    live = current_generation(index).name
    held = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = str(fd.readlink())
        except OSError:  # closed while listing
            continue
        if target.startswith(str(index / "gen-")) and f"/{live}/" not in target:
            held.append(target)
    return held


def test_a_replaced_generation_is_closed_once_no_question_reads_it(
    articles_dir: Path, tmp_path: Path, stand_in: StandInEncoder
):
    index = tmp_path / "index"
    quiet_build(articles_dir, index, stand_in)
    retriever = Retriever(index, encoder=stand_in)
    reading = retriever.current_index()  # as a question in flight holds it
    (articles_dir / "bridge.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    quiet_build(articles_dir, index, stand_in)
    assert retriever.search("cable strands", k=1)[0].paragraph.article_id == "bridge.txt"
    assert [p.number for p in reading.paragraphs([1])] == [2]  # still readable while held
    assert files_held_on_retired_generations(index)
    del reading
    for town in TOWNS[:2]:
        (articles_dir / f"{town}.txt").write_text(town_article(town), encoding="utf-8")
        quiet_build(articles_dir, index, stand_in)
        retriever.search("library", k=1)
    assert files_held_on_retired_generations(index) == []
