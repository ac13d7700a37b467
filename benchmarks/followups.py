"""Follow-up questions with and without the conversation, side by side in one run.

    python benchmarks/followups.py

Pairs in `benchmarks/data/followups.jsonl` (written by hand over the seed and SQuAD v1.1 dev
articles): a first question, then a follow-up that leans on it ("And when did he die?"), with
the article and paragraph that answer the follow-up. Reports how many are read as follow-ups,
what a reader is shown for those filled in from the question before, and Recall@1/@5 of the
follow-up asked alone and asked after the first question, for a few weights of the earlier
question.

Changing the subject, two ways: `benchmarks/data/topic_changes.jsonl` (40 pairs written by hand:
a question, then one about another article that names its own subject, often with "he", "it",
"that" or "there" pointing inside itself), and 500 dev questions each asked after an unrelated
one from another article. Both report how many are read on their own (the hand-written ones all
should be) and Recall@1 alone against after the unrelated question.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings.build import build_index
from embeddings.encoder import Encoder
from qa.answer import Answerer, AnswerWeights
from qa.conversation import conversation_context, read_in_conversation
from qa.datasets import CACHE, load_squad, read_jsonl
from qa.evaluate import passage_rank, prepare_index
from qa.retrieve import Retriever

ROOT = Path(__file__).resolve().parent.parent
PAIRS = ROOT / "benchmarks" / "data" / "followups.jsonl"
TOPIC_CHANGES = ROOT / "benchmarks" / "data" / "topic_changes.jsonl"
WEIGHTS = (0.3, 0.6, 1.0)
SWITCH_SAMPLE = 500


def recall(ranks: list[int | None], at: int) -> float:
    return sum(r is not None and r < at for r in ranks) / len(ranks)


def main() -> int:
    pairs, changes = read_jsonl(PAIRS), read_jsonl(TOPIC_CHANGES)
    encoder = Encoder()
    seed_index = CACHE / "seed-index"
    build_index(ROOT / "seeds", seed_index, encoder=encoder, progress=False, log=lambda line: None)
    dev = load_squad("dev")
    dev_index = prepare_index("dev", dev, encoder)
    answerers = {"seed": Answerer(Retriever(seed_index)), "dev": Answerer(Retriever(dev_index))}

    def answerer_for(article: str, weight: float) -> Answerer:
        base = answerers["dev" if article.startswith("squad-dev-") else "seed"]
        return replace(base, weights=replace(AnswerWeights(), context=weight))

    print(f"{len(pairs)} follow-up pairs ({sum(not p['article'].startswith('squad') for p in pairs)} on the seed)")
    leaning = sum(bool(conversation_context(p["follow_up"], [p["first"]])) for p in pairs)
    print(f"read as follow-ups: {leaning} of {len(pairs)}")
    for p in pairs:
        reading = read_in_conversation(p["follow_up"], [p["first"]])
        if reading.searched != p["follow_up"]:
            print(f"  {p['first']} / {p['follow_up']} -> {reading.note}")
    print("| asked | R@1 | R@5 |")
    print("| --- | --- | --- |")
    alone = [
        passage_rank(answerer_for(p["article"], 0).ask(p["follow_up"], k=5), p["article"], p["paragraph"])
        for p in pairs
    ]
    print(f"| follow-up alone | {recall(alone, 1):.3f} | {recall(alone, 5):.3f} |")
    for weight in WEIGHTS:
        ranks = [
            passage_rank(
                answerer_for(p["article"], weight).ask(p["follow_up"], k=5, earlier=[p["first"]]),
                p["article"],
                p["paragraph"],
            )
            for p in pairs
        ]
        default = " (default)" if weight == AnswerWeights().context else ""
        print(f"| after the first question, earlier-question weight {weight}{default} | {recall(ranks, 1):.3f}"
              f" | {recall(ranks, 5):.3f} |")  # fmt: skip

    alone_changes = [
        passage_rank(answerer_for(c["article"], 0).ask(c["then"], k=5), c["article"], c["paragraph"]) for c in changes
    ]
    after_changes = [
        passage_rank(
            answerer_for(c["article"], AnswerWeights().context).ask(c["then"], k=5, earlier=[c["first"]]),
            c["article"],
            c["paragraph"],
        )
        for c in changes
    ]
    misread = [c for c in changes if conversation_context(c["then"], [c["first"]])]
    print(
        f"topic changes written by hand: {len(changes) - len(misread)} of {len(changes)} read on their own;"
        f" R@1 {recall(alone_changes, 1):.3f} asked alone, {recall(after_changes, 1):.3f} after the unrelated question"
    )
    for c in misread:
        print(f"  read as a follow-up: {c['first']} / {c['then']}")

    questions = [q for article in dev for q in article.questions]
    sample = [questions[i] for i in np.linspace(0, len(questions) - 1, SWITCH_SAMPLE).round().astype(int)]
    unrelated = sample[SWITCH_SAMPLE // 2 :] + sample[: SWITCH_SAMPLE // 2]  # another article's question
    dev_answerer = answerers["dev"]
    pairs_switched = list(zip(sample, unrelated, strict=True))
    plain = [passage_rank(dev_answerer.ask(q.question, k=5), q.article_id, q.paragraph) for q in sample]
    switched = [
        passage_rank(dev_answerer.ask(q.question, k=5, earlier=[u.question]), q.article_id, q.paragraph)
        for q, u in pairs_switched
    ]
    read_as_follow_up = sum(bool(conversation_context(q.question, [u.question])) for q, u in pairs_switched)
    print(
        f"changing the subject: {SWITCH_SAMPLE} dev questions, R@1 {recall(plain, 1):.3f} alone,"
        f" {recall(switched, 1):.3f} after an unrelated question ({read_as_follow_up} read as follow-ups)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
