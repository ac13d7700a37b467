"""The reader: reads the question with each candidate sentence and marks the answer phrase.

Retrieval and ranking judge how *similar* a sentence is to the question, so they favour the
sentence that restates it. The reader reads question and sentence together, as one input, and
was trained (qa/train_reader.py) to point at the words that answer, or at "no answer". Its
score, the best phrase's start and end logits against those of "no answer", says how well the
sentence answers; the phrase is what the reply marks.

It is a small model trained here: MiniLM-L6 with an answer-span head, int8 ONNX, run by
onnxruntime like the question encoder (model card: qa/reader_model/README.md).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

MODEL_DIR = Path(__file__).resolve().parent / "reader_model"
CALIBRATION_FILE = "calibration.json"  # beside the model: how its scores are used (`ReaderCalibration`)
MAX_PIECES = 128  # question and sentence together, special pieces included
MAX_QUESTION_PIECES = 48  # a longer question is cut, so the sentence always has room
MAX_ANSWER_PIECES = 24
READ_BATCH = 8  # sentences run together: more share one call, fewer share one padded length
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
TITLE_SEPARATOR = " | "  # between an article's title and its sentence, for a reader trained with titles


def with_title(title: str, sentence: str) -> tuple[str, int]:
    """What a reader trained with titles reads of a sentence: its article's title, then the sentence
    (so "the chief executive" is read as of Unilever); and where the sentence starts in it."""
    if not title:
        return sentence, 0
    prefix = title + TITLE_SEPARATOR
    return prefix + sentence, len(prefix)


@dataclass(frozen=True)
class Reading:
    """How one sentence answers the question."""

    score: float  # best phrase's start + end logits minus those of "no answer": above 0, it answers
    span: tuple[int, int]  # characters of that phrase in the sentence


@dataclass(frozen=True)
class ReaderCalibration:
    """How answering uses a reader's scores. Fitted to one model's score scale by
    benchmarks/tune_reader.py, which writes it beside the model, so a retrained reader brings its own
    and two readers compare each with its own."""

    reading_passage: float  # weight of the passage's fused score (about 0..1) beside a reading (about -20..10)
    rerank: float  # weight of a passage's best reading (squashed to 0..1) when re-ranking the read ones
    min_quote: float  # a confidence (quote score + weighted coverage) below this: "not found"
    coverage: float = 0.0  # weight of the quoted passage's share of the question's weighted words in the confidence
    names: float = 0.0  # weight of the share of the question's names its article never mentions, taken from it

    @classmethod
    def load(cls, path: Path) -> ReaderCalibration:
        fix = "fit it with `python benchmarks/tune_reader.py --write`"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            values = {
                f.name: data[f.name] if f.default is MISSING else data.get(f.name, f.default) for f in fields(cls)
            }
        except FileNotFoundError:
            raise FileNotFoundError(f"{path}: the reader's calibration is missing; {fix}") from None
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}: not a reader calibration ({error!r}); {fix}") from None
        if not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values.values()
        ):
            raise ValueError(f"{path}: the calibration's values must be finite numbers; {fix}")
        return cls(**{name: float(value) for name, value in values.items()})

    def save(self, path: Path, **provenance: object) -> None:
        """Write it with `provenance` (how it was fitted, what it scored) beside the values."""
        path.write_text(json.dumps({**asdict(self), **provenance}, indent=2) + "\n", encoding="utf-8")


class SentenceReader(Protocol):
    """What answering needs of a reader: a reading of each sentence for a question, and how to use it."""

    @property
    def calibration(self) -> ReaderCalibration: ...
    def load(self) -> None: ...
    def read(self, question: str, sentences: Sequence[str], *, titles: Sequence[str] = ()) -> list[Reading]: ...


@lru_cache(maxsize=4)
def _open_session(path: Path, threads: int):  # -> onnxruntime.InferenceSession
    """One session per model file and thread count in a process, however many readers use it."""
    import onnxruntime

    if not path.exists():
        raise FileNotFoundError(f"{path}: the reader model is missing; restore it with git or retrain it")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle threads sleep instead of spinning: spinning took CPU the rest of the answer and other
    # questions needed (at 32 clients 76 -> 56 ms of server CPU a question; alone, p50 70.7 -> 54.1 ms).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@dataclass
class Reader:
    """The shipped reader model, loaded once, lazily. A question read alone gets `threads`
    threads: reading is most of its time, and two read it 1.3 x faster than one on 2 cores. A
    question read while another is being read gets one: the cores are busy already, and handing
    work between threads would only add CPU (docs/benchmarks.md, issue 16)."""

    folder: Path = MODEL_DIR
    threads: int = 2
    _reading: int = field(default=0, init=False, repr=False, compare=False)
    _count_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def _session(self, threads: int):  # -> onnxruntime.InferenceSession
        return _open_session(self.folder / "model.onnx", threads)

    @contextmanager
    def _session_for_now(self) -> Iterator:  # -> Iterator[onnxruntime.InferenceSession]
        """The session to read with: all threads when nothing else is being read, else one."""
        with self._count_lock:
            busy = self._reading > 0
            self._reading += 1
        try:
            yield self._session(1 if busy else self.threads)
        finally:
            with self._count_lock:
                self._reading -= 1

    @cached_property
    def _tokenizer(self):  # -> tokenizers.Tokenizer, for (question, sentence) pairs
        tokenizer = self._pieces
        tokenizer = type(tokenizer).from_str(tokenizer.to_str())
        tokenizer.enable_truncation(MAX_PIECES, strategy="only_second")
        return tokenizer

    @cached_property
    def _pieces(self):  # -> tokenizers.Tokenizer, for one text: neither truncated nor padded
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()  # the file pads to a fixed length; `read` pads each batch itself
        return tokenizer

    @cached_property
    def calibration(self) -> ReaderCalibration:
        return ReaderCalibration.load(self.folder / CALIBRATION_FILE)

    @cached_property
    def reads_titles(self) -> bool:
        """Whether the model was trained to read each sentence after its article's title (its training record says)."""
        try:
            record = json.loads((self.folder / "training.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return False
        return bool(record.get("settings", {}).get("titles", False))

    def load(self) -> None:
        _ = self._session(self.threads), self._session(1), self._tokenizer, self._pieces, self.calibration
        _ = self.reads_titles

    def _short_question(self, question: str) -> str:
        """The question cut to `MAX_QUESTION_PIECES` word pieces (at a piece boundary)."""
        pieces = self._pieces.encode(question, add_special_tokens=False)
        if len(pieces.ids) <= MAX_QUESTION_PIECES:
            return question
        return question[: pieces.offsets[MAX_QUESTION_PIECES - 1][1]]

    def read(self, question: str, sentences: Sequence[str], *, titles: Sequence[str] = ()) -> list[Reading]:
        """One reading per sentence, in order; `titles`, one per sentence, are its articles' titles,
        read before it when the model was trained so. Sentences are run in batches of similar
        length, so a short sentence is not padded to the longest one's length."""
        if not sentences:
            return []
        question = self._short_question(question)
        if self.reads_titles and titles:
            read = [with_title(title, sentence) for title, sentence in zip(titles, sentences, strict=True)]
        else:
            read = [(sentence, 0) for sentence in sentences]
        encodings = self._tokenizer.encode_batch([(question, text) for text, _ in read])
        readings: list[Reading] = [Reading(0.0, (0, 0))] * len(encodings)
        by_length = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        with self._session_for_now() as session:
            for first in range(0, len(by_length), READ_BATCH):
                batch = [encodings[i] for i in by_length[first : first + READ_BATCH]]
                feeds = {name: np.zeros((len(batch), len(batch[-1].ids)), np.int64) for name in INPUTS}
                for row, encoding in enumerate(batch):
                    pieces = len(encoding.ids)
                    feeds["input_ids"][row, :pieces] = encoding.ids
                    feeds["attention_mask"][row, :pieces] = 1
                    feeds["token_type_ids"][row, :pieces] = encoding.type_ids
                starts, ends = session.run(None, feeds)
                for row, (i, encoding) in enumerate(zip(by_length[first : first + READ_BATCH], batch, strict=True)):
                    pieces, shift = len(encoding.ids), read[i][1]
                    in_sentence = np.array(
                        [
                            sequence == 1 and start >= shift
                            for sequence, (start, _) in zip(encoding.sequence_ids, encoding.offsets, strict=True)
                        ]
                    )
                    reading = best_phrase(
                        starts[row, :pieces], ends[row, :pieces], in_sentence=in_sentence, offsets=encoding.offsets
                    )
                    readings[i] = replace(reading, span=tuple(max(0, at - shift) for at in reading.span))
        return readings


def best_phrase(
    start: np.ndarray, end: np.ndarray, *, in_sentence: np.ndarray, offsets: Sequence[tuple[int, int]]
) -> Reading:
    """The highest-scoring phrase of one input (its pieces inside the sentence, end not before
    start, at most `MAX_ANSWER_PIECES` long), scored against "no answer" (piece 0)."""
    pieces = len(start)
    pair = start[:, None] + end[None, :]
    first, last = np.indices((pieces, pieces))
    valid = (last >= first) & (last - first < MAX_ANSWER_PIECES) & in_sentence[:, None] & in_sentence[None, :]
    if not valid.any():
        return Reading(score=float("-inf"), span=(0, 0))
    best = int(np.argmax(np.where(valid, pair, -np.inf)))
    i, j = divmod(best, pieces)
    return Reading(score=float(pair[i, j] - (start[0] + end[0])), span=(offsets[i][0], offsets[j][1]))
