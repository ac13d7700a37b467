"""The retriever asks with the model its index was built with."""

from __future__ import annotations

import shutil
from pathlib import Path

from embeddings.build import build_index
from embeddings.encoder import Encoder
from qa.retrieve import Retriever


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
