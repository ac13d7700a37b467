"""The two encoders: torch for building, int8 ONNX for questions, giving the same vectors."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.articles import parse_plain_text
from embeddings.encoder import Encoder, OnnxEncoder, TextEncoder, question_encoder
from tests.conftest import SEED_FILE

QUESTIONS = ["Where did Xi and Putin meet?", "And when?", "Что сказал Путин?", "习近平在哪里？", "x" * 3000]


def test_onnx_question_vectors_match_the_build_model(encoder: Encoder, question_encoder: TextEncoder):
    assert isinstance(question_encoder, OnnxEncoder)
    seed = parse_plain_text(SEED_FILE.read_text(encoding="utf-8"), article_id="seed", path=SEED_FILE.name)
    texts = QUESTIONS + list(seed.paragraphs)
    onnx, torch = question_encoder.encode(texts), encoder.encode(texts)
    assert onnx.shape == torch.shape == (len(texts), encoder.dimension)
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-4)
    assert (onnx * torch).sum(axis=1).min() > 0.99


def test_a_question_gets_the_same_vector_alone_or_in_a_padded_batch(question_encoder: TextEncoder):
    batch = question_encoder.encode(QUESTIONS)
    alone = np.stack([question_encoder.encode([q])[0] for q in QUESTIONS])
    assert np.allclose(batch, alone, atol=1e-5)
    assert question_encoder.encode([]).shape == (0, batch.shape[1])


def test_the_onnx_path_is_only_for_the_model_it_ships(tmp_path):
    assert isinstance(question_encoder(kind="torch"), Encoder)
    assert isinstance(question_encoder(str(tmp_path)), Encoder)
    with pytest.raises(ValueError, match="ONNX question encoder ships only"):
        question_encoder(str(tmp_path), kind="onnx")


def test_an_optional_model_not_fetched_yet_names_the_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an empty cache
    with pytest.raises(ValueError, match=r"python -m embeddings.models all-mpnet-base-v2"):
        _ = Encoder("all-mpnet-base-v2").path
    with pytest.raises(ValueError, match=r"unknown model 'nope'"):
        _ = Encoder("nope").path


PARAGRAPH = (
    "The harbour bridge reopened to traffic on Tuesday. Engineers replaced 140 corroded cable strands."
    " The mayor thanked the crews who worked through the winter."
)
SPANS = [(0, 50), (51, 97), (98, len(PARAGRAPH))]


def test_one_pass_gives_the_paragraph_vector_and_each_sentence_its_own(encoder: Encoder):
    rows = encoder.encode_with_sentences([PARAGRAPH, "Engineers replaced the cables."], [SPANS, [(0, 30)]])
    assert rows.shape == (4 + 2, encoder.dimension)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    alone = encoder.encode([PARAGRAPH, "Engineers replaced the cables."])
    assert np.allclose(rows[[0, 4]], alone, atol=1e-5)  # the text's own vector is the model's usual one
    assert np.array_equal(rows[5], rows[4])  # one sentence holding the whole text: one vector for both
    sentences = rows[1:4]
    separate = encoder.encode([PARAGRAPH[a:b] for a, b in SPANS])
    # Each says more about its own sentence than the paragraph's vector does (it also keeps the
    # paragraph's topic: that is the point of pooling inside the paragraph's pass).
    assert (np.diag(sentences @ separate.T) > rows[0] @ separate.T).all()


def test_the_onnx_model_pools_sentences_as_torch_does(encoder: Encoder):
    torch_rows = encoder.encode_with_sentences([PARAGRAPH], [SPANS])
    onnx_rows = OnnxEncoder().encode_with_sentences([PARAGRAPH], [SPANS])
    assert (np.sum(torch_rows * onnx_rows, axis=1) > 0.99).all()
