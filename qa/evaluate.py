"""Measure answer quality on SQuAD v1.1 dev: `python -m qa.evaluate`.

(`python -m qa.evaluate --feedback-report index` instead lists the answers readers voted down.)

The dev articles become ordinary `.jsonl` articles, are indexed by the same build a user runs,
and every question goes through `Answerer.ask`, the path the chat and the CLI take. Questions
are encoded in batches first (the chat's question encoder, the same vectors) so the run takes minutes; the
latency figures come from a sample asked one by one, encoding included.

Reported per retrieval mode: Recall@1/5/10/20 and MRR@10 of the paragraph holding the answer,
answer-sentence accuracy (the quoted sentence contains a gold answer), the answer phrase's exact
match and F1 against the gold answers (SQuAD's official normalisation; 0 when nothing is
quoted), how often the reply said "not found" although the answer was indexed, and query
latency p50/p95. The default hybrid mode is also run without the reader ("hybrid, no reader"),
sentences chosen by similarity as before the reader existed. The "not found" check asks the
same questions with their own article masked out of every search: the share of those told "not
found" is the threshold's catch rate.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import string
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from embeddings.build import build_index
from embeddings.encoder import DEFAULT_MODEL, Encoder, question_encoder
from embeddings.index import Index
from embeddings.store import StoredParagraph
from qa.answer import Answerer, Reply
from qa.datasets import CACHE, SquadArticle, SquadQuestion, load_squad, write_jsonl
from qa.feedback import FEEDBACK_FILE, FeedbackLog, downvote_report
from qa.ranking import MODES, Mode
from qa.reader import Reader
from qa.retrieve import Retriever

RECALL_AT = (1, 5, 10, 20)
_PUNCTUATION = frozenset(string.punctuation)


@dataclass(frozen=True)
class ModeResult:
    mode: str
    questions: int
    recall: dict[int, float]
    mrr_at_10: float
    answer_sentence_accuracy: float
    phrase_exact_match: float
    phrase_f1: float
    not_found_when_present: float
    latency_p50_ms: float
    latency_p95_ms: float


def normalise_answer(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def squad_normalise(text: str) -> str:
    """SQuAD's official answer normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(c for c in text.lower() if c not in _PUNCTUATION)
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def phrase_scores(phrase: str, answers: Sequence[str]) -> tuple[float, float]:
    """Exact match and F1 of `phrase` against the best of the gold `answers`, as SQuAD's script scores."""
    words = squad_normalise(phrase).split()
    exact = f1 = 0.0
    for answer in answers:
        gold = squad_normalise(answer).split()
        exact = max(exact, float(words == gold))
        common = sum((Counter(words) & Counter(gold)).values())
        if common:
            precision, recall = common / len(words), common / len(gold)
            f1 = max(f1, 2 * precision * recall / (precision + recall))
    return exact, f1


def answer_phrase(reply: Reply) -> str:
    """The marked answer phrase of a reply ("" when it quotes nothing or marks nothing)."""
    if not reply.found or reply.answer_span is None:
        return ""
    start, end = reply.answer_span
    return reply.answer[start:end]


def passage_rank(reply: Reply, article: str, paragraph: int) -> int | None:
    """0-based position of the given paragraph among the reply's passages, or None."""
    for position, passage in enumerate(reply.passages):
        if passage.article == article and passage.paragraph == paragraph:
            return position
    return None


def holds_gold(paragraph: StoredParagraph, question: SquadQuestion) -> bool:
    """Whether an indexed paragraph is the one holding the question's answer."""
    return paragraph.article_id == question.article_id and paragraph.number == question.paragraph


def gold_rank(reply: Reply, question: SquadQuestion) -> int | None:
    """0-based position of the gold paragraph among the reply's passages, or None."""
    return passage_rank(reply, question.article_id, question.paragraph)


def sentence_holds_answer(reply: Reply, question: SquadQuestion) -> bool:
    sentence = normalise_answer(reply.answer)
    return reply.found and any(normalise_answer(a) in sentence for a in question.answers if normalise_answer(a))


def prepare_index(name: str, articles: Sequence[SquadArticle], encoder: Encoder, *, cache: Path = CACHE) -> Path:
    """Write `articles` as a `.jsonl` articles folder and bring its index up to date."""
    folder = cache / "squad" / f"articles-{name}"
    write_jsonl(list(articles), folder / "articles.jsonl")
    index_dir = cache / "squad" / f"index-{name}"
    report = build_index(folder, index_dir, encoder=encoder, log=lambda line: print(line, file=sys.stderr))
    print(report.summary(), file=sys.stderr)
    return index_dir


def evaluate_mode(
    answerer: Answerer,
    questions: Sequence[SquadQuestion],
    vectors: np.ndarray,
    *,
    mode: Mode,
    name: str = "",
    latency_sample: int = 300,
) -> ModeResult:
    ranks: list[int | None] = []
    correct = not_found = 0
    exact = f1 = 0.0
    for question, vector in zip(questions, vectors, strict=True):
        reply = answerer.ask(question.question, k=max(RECALL_AT), mode=mode, question_vector=vector)
        ranks.append(gold_rank(reply, question))
        correct += sentence_holds_answer(reply, question)
        not_found += not reply.found
        phrase_exact, phrase_f1 = phrase_scores(answer_phrase(reply), question.answers)
        exact, f1 = exact + phrase_exact, f1 + phrase_f1
    latencies = []
    for question in questions[:: max(1, len(questions) // latency_sample)][:latency_sample]:
        started = time.perf_counter()
        answerer.ask(question.question, k=5, mode=mode)
        latencies.append((time.perf_counter() - started) * 1000)
    n = len(questions)
    return ModeResult(
        mode=name or mode,
        questions=n,
        recall={at: sum(r is not None and r < at for r in ranks) / n for at in RECALL_AT},
        mrr_at_10=sum(1 / (r + 1) for r in ranks if r is not None and r < 10) / n,
        answer_sentence_accuracy=correct / n,
        phrase_exact_match=exact / n,
        phrase_f1=f1 / n,
        not_found_when_present=not_found / n,
        latency_p50_ms=float(np.percentile(latencies, 50)),
        latency_p95_ms=float(np.percentile(latencies, 95)),
    )


def without_article(index: Index) -> Callable[[str], np.ndarray]:
    """A function giving, for an article id, the mask of every paragraph row but that article's:
    the index as if the article had never been added."""
    rows_of = {entry.article.id: entry.paragraph_rows for entry in index.articles()}

    def mask(article_id: str) -> np.ndarray:
        allowed = np.ones(index.rows, dtype=bool)
        own = rows_of[article_id]
        allowed[own.start : own.stop] = False
        return allowed

    return mask


def not_found_rate_without_own_article(
    answerer: Answerer, questions: Sequence[SquadQuestion], vectors: np.ndarray
) -> float:
    """Share of questions told "not found" when their own article is masked out of the search."""
    mask = without_article(answerer.retriever.current_index())
    told = 0
    for question, vector in zip(questions, vectors, strict=True):
        allowed = mask(question.article_id)
        told += not answerer.ask(question.question, k=5, question_vector=vector, allowed=allowed).found
    return told / len(questions)


def format_table(results: Sequence[ModeResult]) -> str:
    header = (
        "| mode | questions | R@1 | R@5 | R@10 | R@20 | MRR@10 | answer sentence | phrase EM | phrase F1"
        " | said not found | p50 ms | p95 ms |"
    )
    lines = [header, "|" + " --- |" * 13]
    for r in results:
        lines.append(
            f"| {r.mode} | {r.questions} | "
            + " | ".join(f"{r.recall[at]:.3f}" for at in RECALL_AT)
            + f" | {r.mrr_at_10:.3f} | {r.answer_sentence_accuracy:.3f} | {r.phrase_exact_match:.3f}"
            f" | {r.phrase_f1:.3f} | {r.not_found_when_present:.3f} | {r.latency_p50_ms:.1f} | {r.latency_p95_ms:.1f} |"
        )
    return "\n".join(lines)


def split_by_article(articles: Sequence[SquadArticle]) -> tuple[list[SquadArticle], list[SquadArticle]]:
    """The tuning protocol's halves: even-numbered dev articles to fit, odd ones to report."""
    return list(articles[0::2]), list(articles[1::2])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--distractors", action="store_true", help="add the train paragraphs as distractors")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES), help="retrieval modes to compare")
    parser.add_argument("--articles", type=int, default=0, help="only the first N dev articles (0: all 48)")
    parser.add_argument("--half", choices=("all", "fit", "report"), default="all", help="which dev questions to ask")
    parser.add_argument(
        "--questions", type=int, default=0, help="an evenly spaced sample of N questions across the articles (0: all)"
    )
    parser.add_argument("--cache", type=Path, default=CACHE, help="where data and indexes are kept (default .cache)")
    parser.add_argument("--output", type=Path, help="write the figures as JSON here")
    parser.add_argument(
        "--question-encoder",
        choices=("auto", "onnx", "torch"),
        default="auto",
        help="how questions are encoded (default auto: ONNX, as the chat does)",
    )
    parser.add_argument(
        "--feedback-report",
        type=Path,
        metavar="INDEX",
        help="instead of evaluating: report the answers readers voted down in the chat over INDEX",
    )
    parser.add_argument("--skip-not-found-check", action="store_true", help="skip the masked-article check")
    parser.add_argument(
        "--no-baseline", action="store_true", help='skip the "hybrid, no reader" row (sentences chosen by similarity)'
    )
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"embedding model to build and ask with (default: {DEFAULT_MODEL})"
    )
    parser.add_argument(
        "--compare-reader",
        type=Path,
        metavar="DIR",
        help="also the reader in DIR (model.onnx, tokenizer.json, calibration.json), side by side with the shipped one",
    )
    args = parser.parse_args(argv)
    if args.feedback_report:
        print(downvote_report(FeedbackLog(args.feedback_report / FEEDBACK_FILE).votes()))
        return 0

    encoder = Encoder(args.model)
    dev = load_squad("dev", cache=args.cache)
    if args.articles:
        dev = dev[: args.articles]
    indexed = dev + (load_squad("train", cache=args.cache) if args.distractors else [])
    name = f"dev{args.articles or ''}" + ("+train" if args.distractors else "")
    if args.model != DEFAULT_MODEL:
        name += f"-{Path(args.model).name}"
    index_dir = prepare_index(name, indexed, encoder, cache=args.cache)
    asked = {"all": dev, "fit": split_by_article(dev)[0], "report": split_by_article(dev)[1]}[args.half]
    questions = [q for article in asked for q in article.questions]
    if args.questions and args.questions < len(questions):
        questions = [questions[i] for i in np.linspace(0, len(questions) - 1, args.questions).round().astype(int)]
    asker = question_encoder(args.model, kind=args.question_encoder)
    answerer = Answerer(Retriever(index_dir, encoder=asker))
    started = time.perf_counter()
    vectors = asker.encode([q.question for q in questions])
    results = [evaluate_mode(answerer, questions, vectors, mode=mode) for mode in args.modes]
    if "hybrid" in args.modes and not args.no_baseline:
        baseline = replace(answerer, reader=None)
        results.insert(1, evaluate_mode(baseline, questions, vectors, mode="hybrid", name="hybrid, no reader"))
    masked = None if args.skip_not_found_check else not_found_rate_without_own_article(answerer, questions, vectors)
    other_masked = None
    if args.compare_reader:
        other = replace(answerer, reader=Reader(folder=args.compare_reader))
        other_name = f"hybrid, reader in {args.compare_reader}"
        results.append(evaluate_mode(other, questions, vectors, mode="hybrid", name=other_name))
        if not args.skip_not_found_check:
            other_masked = not_found_rate_without_own_article(other, questions, vectors)
    manifest = answerer.retriever.current_index().manifest
    print(f"SQuAD v1.1 dev, {args.half} questions, {manifest.paragraphs} paragraphs indexed ({name})")
    print(format_table(results))
    if masked is not None:
        print(f"own article masked out: said not found for {masked:.3f} of the questions")
    if other_masked is not None:
        print(f"  with the reader in {args.compare_reader}: {other_masked:.3f}")
    print(f"({time.perf_counter() - started:.0f} s)")
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(
            json.dumps(
                {
                    "command": "python -m qa.evaluate " + " ".join(argv if argv is not None else sys.argv[1:]),
                    "date": time.strftime("%Y-%m-%d"),
                    "machine": f"{platform.machine()}, {platform.python_version()}",
                    "index": name,
                    "question_encoder": type(asker).__name__,
                    "paragraphs": manifest.paragraphs,
                    "weights": asdict(answerer.retriever.fusion_weights()),
                    "results": [asdict(r) for r in results],
                    "own_article_masked_not_found": masked,
                    "own_article_masked_not_found_compared_reader": other_masked,
                },
                indent=2,
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
