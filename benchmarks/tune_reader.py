"""Fit how the answer uses the reader, on half of the SQuAD v1.1 dev articles; report on the other half.

    python benchmarks/tune_reader.py [--questions 2000] [--reader DIR] [--keep-weights] [--write]

Fitted: how many top passages the reader reads and how many sentences of each (a cost, so they
stay in `AnswerWeights`), and the reader's calibration (`ReaderCalibration`, which `--write` saves
beside the model): the weight of a passage's rank score beside a sentence's reading when choosing
the sentence to quote, the weight of a passage's best reading when re-ranking the read passages,
and the "not found" side: the weight of the quoted passage's word coverage beside its quote score,
the weight of the share of the question's names its article never mentions (`qa.names`), and the
threshold on that confidence (with `--keep-weights`, only these three; the reader's other weights
are kept). Protocol as benchmarks/tune_fusion.py: dev articles split by article (even ones
to fit, odd ones to report), train questions never used. Every question is searched and read
once; the choices are then replayed over a grid. The threshold is calibrated with each question's
own article masked out of every search: the lowest confidence at which at least `--keep` of the
questions whose article is there are still answered.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings.encoder import Encoder, question_encoder
from qa.answer import COVERAGE, Answerer, AnswerWeights, closest_sentences, names_missing
from qa.datasets import CACHE, SquadQuestion, load_squad
from qa.evaluate import holds_gold, normalise_answer, prepare_index, split_by_article, without_article
from qa.ranking import confidence, quote_scores, reranked_by_reading
from qa.reader import CALIBRATION_FILE, MODEL_DIR, Reader, ReaderCalibration
from qa.retrieve import Retriever

MOST_READ = 6  # passages read per question; the grid picks how many of them count
MOST_SENTENCES = 6  # sentences read per passage, the closest first; the grid picks how many count
READ_GRID = (2, 3, 4, 5, 6)
SENTENCE_GRID = (2, 3, 4, 5, 6)
PASSAGE_GRID = np.round(np.arange(0.0, 30.01, 1.0), 1)
RERANK_GRID = np.round(np.arange(0.0, 2.01, 0.25), 2)
COVERAGE_GRID = np.round(np.arange(0.0, 30.01, 2.0), 1)
NAMES_GRID = np.round(np.arange(0.0, 20.01, 2.0), 1)


@dataclass(frozen=True)
class ReadSentences:
    """One question's top candidates (rank order) and the readings of each read one's closest sentences."""

    fused: np.ndarray  # rank score per candidate
    gold: np.ndarray  # per candidate: the paragraph holding the answer
    readings: np.ndarray  # [read candidate, sentence, closest first]: its reading; -inf past the last sentence
    holds: np.ndarray  # [read candidate, sentence]: that sentence holds a gold answer
    coverage: np.ndarray  # per read candidate: its share of the question's weighted words


@dataclass(frozen=True)
class ReadQuestion:
    """One question's top candidates (rank order) with their best read sentence's reading."""

    fused: np.ndarray  # rank score per candidate
    gold: np.ndarray  # per candidate: the paragraph holding the answer
    reading: np.ndarray  # per read candidate: the best sentence's reading score
    holds: np.ndarray  # per read candidate: that sentence holds a gold answer
    coverage: np.ndarray  # per read candidate: its share of the question's weighted words
    missing_names: np.ndarray  # per read candidate: the share of the question's names its article lacks


def collect(answerer: Answerer, questions: list[SquadQuestion], *, mask_own: bool = False) -> list[ReadSentences]:
    retriever = answerer.retriever
    mask = without_article(retriever.current_index())
    vectors = retriever.encoder.encode([q.question for q in questions])
    weights = AnswerWeights()
    collected = []
    for question, vector in zip(questions, vectors, strict=True):
        allowed = mask(question.article_id) if mask_own else None
        candidates = retriever.search(question.question, k=20, question_vector=vector, allowed=allowed)
        read = [c.paragraph for c in candidates[:MOST_READ]]
        chosen = [closest_sentences(c, weights, MOST_SENTENCES) for c in candidates[:MOST_READ]]
        texts = [p.text[slice(*p.sentence_spans[i])] for p, order in zip(read, chosen, strict=True) for i in order]
        titles = [p.title for p, order in zip(read, chosen, strict=True) for _ in order]
        scores = iter(reading.score for reading in answerer.reader.read(question.question, texts, titles=titles))
        readings = np.full((len(read), MOST_SENTENCES), -np.inf)
        holds = np.zeros((len(read), MOST_SENTENCES), dtype=bool)
        answers = [a for a in (normalise_answer(a) for a in question.answers) if a]
        for n, (paragraph, order) in enumerate(zip(read, chosen, strict=True)):
            for j, i in enumerate(order):
                readings[n, j] = next(scores)
                sentence = normalise_answer(paragraph.text[slice(*paragraph.sentence_spans[i])])
                holds[n, j] = any(a in sentence for a in answers)
        collected.append(
            ReadSentences(
                fused=np.array([c.score for c in candidates]),
                gold=np.array([holds_gold(c.paragraph, question) for c in candidates], dtype=bool),
                readings=readings,
                holds=holds,
                coverage=np.array([c.features[COVERAGE] for c in candidates[:MOST_READ]]),
            )
        )
    return collected


def missing_names(answerer: Answerer, questions: list[SquadQuestion], *, mask_own: bool = False) -> list[np.ndarray]:
    """Per question, each read candidate's share of the question's names its article lacks: searched
    as `collect` searches, without reading (quick, so never cached)."""
    retriever = answerer.retriever
    index = retriever.current_index()
    mask = without_article(index)
    vectors = retriever.encoder.encode([q.question for q in questions])
    shares = []
    for question, vector in zip(questions, vectors, strict=True):
        allowed = mask(question.article_id) if mask_own else None
        candidates = retriever.search(question.question, k=MOST_READ, question_vector=vector, allowed=allowed)
        shares.append(names_missing(question.question, candidates, index))
    return shares


def readings(
    answerer: Answerer, fit: list[SquadQuestion], report: list[SquadQuestion], *, cache: Path
) -> tuple[list[ReadSentences], list[ReadSentences], list[ReadSentences]]:
    """The fit and report questions read, and the fit ones again with their own article masked;
    kept in `cache` per reader model, sentences read and question sample, since reading takes a while."""
    sample = repr((MOST_READ, MOST_SENTENCES, "coverage", [q.id for q in fit + report]))
    key = hashlib.sha1((answerer.reader.folder / "model.onnx").read_bytes() + sample.encode())
    path = cache / f"reader-readings-{key.hexdigest()[:12]}.pickle"
    if path.exists():
        return pickle.loads(path.read_bytes())
    data = collect(answerer, fit), collect(answerer, report), collect(answerer, fit, mask_own=True)
    path.write_bytes(pickle.dumps(data))
    return data


def best_read(data: list[ReadSentences], sentences: int, missing: list[np.ndarray]) -> list[ReadQuestion]:
    """The questions as answering sees them when it reads the `sentences` closest of each passage;
    `missing`, per question, its read candidates' shares of missing names (`missing_names`)."""
    narrowed = []
    for q, names in zip(data, missing, strict=True):
        readings = q.readings[:, :sentences]
        best = readings.argmax(axis=1)
        reading, holds = readings.max(axis=1, initial=-np.inf), q.holds[np.arange(len(best)), best]
        narrowed.append(ReadQuestion(q.fused, q.gold, reading, holds, q.coverage, names[: len(reading)]))
    return narrowed


def quoted(q: ReadQuestion, read: int, passage: float) -> int:
    """Index of the candidate whose best sentence the reply quotes."""
    return int(np.argmax(quote_scores(q.reading[:read], q.fused[: len(q.reading[:read])], passage)))


def relevance_of_reading(q: ReadQuestion, read: int, passage: float) -> float:
    """The quoted sentence's reading alone."""
    return float(q.reading[quoted(q, read, passage)])


def relevance_of_quote(q: ReadQuestion, read: int, passage: float, coverage: float = 0.0, names: float = 0.0) -> float:
    """The quoted sentence's confidence: its reading helped by its passage's rank score and (with a
    `coverage` weight) by the share of the question's weighted words its passage holds, lowered (with
    a `names` weight) by the share of the question's names its article lacks."""
    i = quoted(q, read, passage)
    quote = quote_scores(q.reading[i : i + 1], q.fused[i : i + 1], passage)
    return float(confidence(quote, q.coverage[i : i + 1], coverage, q.missing_names[i], names)[0])


def first_is_gold(q: ReadQuestion, read: int, rerank: float) -> bool:
    """Whether the gold paragraph comes first once the read passages are re-ranked."""
    if not len(q.fused):
        return False
    scores = reranked_by_reading(q.fused[: len(q.reading[:read])], q.reading[:read], rerank)
    return bool(q.gold[: len(scores)][int(np.argmax(scores))])


def figures(data: list[ReadQuestion], read: int, passage: float, rerank: float) -> tuple[float, float]:
    """(answer-sentence accuracy, Recall@1) over `data`."""
    answered = [q for q in data if len(q.reading)]
    accuracy = sum(bool(q.holds[quoted(q, read, passage)]) for q in answered) / len(data)
    return accuracy, sum(first_is_gold(q, read, rerank) for q in data) / len(data)


def spread(questions: list[SquadQuestion], count: int) -> list[SquadQuestion]:
    if not count or count >= len(questions):
        return questions
    return [questions[i] for i in np.linspace(0, len(questions) - 1, count).round().astype(int)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=2000, help="questions from each half, spread evenly (0: all)")
    parser.add_argument("--keep", type=float, default=0.97, help="share of answerable questions still answered")
    parser.add_argument("--reader", type=Path, default=MODEL_DIR, metavar="DIR", help="the reader model's folder")
    parser.add_argument(
        "--write",
        action="store_true",
        help=f"save the calibration fitted for the default passages and sentences read as DIR/{CALIBRATION_FILE}",
    )
    parser.add_argument(
        "--keep-weights",
        action="store_true",
        help="keep the reader's passage and re-rank weights; fit only the not-found threshold and its weights",
    )
    args = parser.parse_args(argv)
    dev = load_squad("dev")
    fit, report = ([q for a in half for q in a.questions] for half in split_by_article(dev))
    fit, report = spread(fit, args.questions), spread(report, args.questions)
    reader = Reader(folder=args.reader)
    answerer = Answerer(Retriever(prepare_index("dev", dev, Encoder()), encoder=question_encoder()), reader=reader)
    fit_all, report_all, absent_all = readings(answerer, fit, report, cache=CACHE / "squad")
    fit_names, report_names, absent_names = (
        missing_names(answerer, fit),
        missing_names(answerer, report),
        missing_names(answerer, fit, mask_own=True),
    )
    print(
        "| sentences per passage | passages read | passage weight | rerank | answer sentence fit / report"
        " | R@1 fit / report | not-found threshold (quote score) | masked: not found |"
    )
    print("|" + " --- |" * 8)
    default = AnswerWeights()
    for sentences in SENTENCE_GRID:  # reading costs time: each row is the best a number of sentences read can do
        fit_data, report_data, absent_data = (
            best_read(d, sentences, names)
            for d, names in ((fit_all, fit_names), (report_all, report_names), (absent_all, absent_names))
        )
        for read in READ_GRID:
            passage = max(PASSAGE_GRID, key=lambda p: figures(fit_data, read, p, 0.0)[0])
            rerank = max(RERANK_GRID, key=lambda c: figures(fit_data, read, passage, c)[1])
            fit_accuracy, fit_first = figures(fit_data, read, passage, rerank)
            report_accuracy, report_first = figures(report_data, read, passage, rerank)
            present = np.array([relevance_of_quote(q, read, passage) for q in fit_data if len(q.reading)])
            absent = np.array([relevance_of_quote(q, read, passage) for q in absent_data if len(q.reading)])
            threshold = float(np.quantile(present, 1 - args.keep))
            masked = float(np.mean(absent < threshold))
            print(
                f"| {sentences} | {read} | {passage} | {rerank} | {fit_accuracy:.3f} / {report_accuracy:.3f}"
                f" | {fit_first:.3f} / {report_first:.3f} | {threshold:.2f}"
                f" (answers {np.mean(present >= threshold):.3f}) | {masked:.3f} |"
            )
            if (sentences, read) == (default.sentences_per_passage, default.read_passages):
                fitted = ReaderCalibration(
                    reading_passage=float(passage), rerank=float(rerank), min_quote=round(threshold, 2)
                )
    fit_data, absent_data = (
        best_read(d, default.sentences_per_passage, names)
        for d, names in ((fit_all, fit_names), (absent_all, absent_names))
    )
    read = default.read_passages
    for name, relevance in (("reading alone", relevance_of_reading), ("quote score", relevance_of_quote)):
        present = np.array([relevance(q, read, fitted.reading_passage) for q in fit_data if len(q.reading)])
        absent = np.array([relevance(q, read, fitted.reading_passage) for q in absent_data if len(q.reading)])
        for keep in sorted({args.keep, 0.99, 0.98, 0.95}, reverse=True):
            threshold = float(np.quantile(present, 1 - keep))
            print(
                f"defaults ({read} passages, {default.sentences_per_passage} sentences each), {name} as the"
                f" not-found score, threshold {threshold:.2f}: answers {np.mean(present >= threshold):.3f} of"
                f" questions whose article is there, says not found for {np.mean(absent < threshold):.3f} of"
                " those whose article is masked"
            )
    passage, rerank = fitted.reading_passage, fitted.rerank
    if args.keep_weights:  # only the "not found" side is fitted; the quote and re-ranking stay the reader's
        passage, rerank = reader.calibration.reading_passage, reader.calibration.rerank
    grid = [(float(c), float(n)) for c in COVERAGE_GRID for n in NAMES_GRID]
    present_by, absent_by = (
        {w: np.array([relevance_of_quote(q, read, passage, *w) for q in d if len(q.reading)]) for w in grid}
        for d in (fit_data, absent_data)
    )
    found = {}
    for weights in grid:
        threshold = float(np.quantile(present_by[weights], 1 - args.keep))
        found[weights] = (float(np.mean(absent_by[weights] < threshold)), threshold)
    print(f"\n| names weight | best coverage weight | threshold | masked: not found |  (passage weight {passage})")
    print("|" + " --- |" * 4)
    for names in NAMES_GRID:
        best = max((w for w in grid if w[1] == names), key=lambda w: found[w][0])
        print(f"| {names} | {best[0]} | {found[best][1]:.2f} | {found[best][0]:.3f} |")
    weights = max(grid, key=lambda w: found[w][0])
    fitted = ReaderCalibration(
        reading_passage=float(passage),
        rerank=float(rerank),
        min_quote=round(found[weights][1], 2),
        coverage=weights[0],
        names=weights[1],
    )
    report_data = best_read(report_all, default.sentences_per_passage, report_names)
    (fit_accuracy, fit_first), (report_accuracy, report_first) = (
        figures(d, read, passage, rerank) for d in (fit_data, report_data)
    )
    scores = {"answer_sentence_fit": fit_accuracy, "answer_sentence_report": report_accuracy}
    scores |= {"recall_at_1_fit": fit_first, "recall_at_1_report": report_first, "masked_not_found": found[weights][0]}
    if args.write:
        command = "python benchmarks/tune_reader.py " + " ".join(argv if argv is not None else sys.argv[1:])
        kept = {}
        if args.keep_weights:  # say where the kept weights came from
            previous = json.loads((args.reader / CALIBRATION_FILE).read_text(encoding="utf-8"))
            kept = {"weights_kept_from": previous.get("weights_kept_from", previous.get("fitted_by", ""))}
        fitted.save(
            args.reader / CALIBRATION_FILE,
            fitted_by=command,
            **kept,
            passages_read=default.read_passages,
            sentences_per_passage=default.sentences_per_passage,
            keep=args.keep,
            questions=len(fit) + len(report),
            scores={name: round(value, 3) for name, value in scores.items()},
            date=time.strftime("%Y-%m-%d"),
        )
        print(f"wrote {args.reader / CALIBRATION_FILE}: {fitted}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
