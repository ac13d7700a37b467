"""Fit the hybrid ranking's feature weights, the answer-sentence weights and the "not found"
threshold on half of the SQuAD v1.1 dev articles; report on the other half and on all.

    python benchmarks/tune_fusion.py

Protocol: dev articles are split by article (even-numbered to fit, odd-numbered to report);
train questions are never used. Weights are fitted by coordinate ascent on Recall@1 (ties broken
by MRR), a small learned combination of a handful of scores. It prints the fitted values; they
become the defaults in `embeddings/index.py` (`FusionSettings`) by hand, with the figures in
docs/benchmarks.md.
"""

from __future__ import annotations

import sys
from dataclasses import astuple, dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings.encoder import Encoder, TextEncoder, question_encoder
from qa.datasets import load_squad
from qa.evaluate import normalise_answer, prepare_index, split_by_article, without_article
from qa.retrieve import FEATURES, Retriever

GRID = np.round(np.arange(0.0, 2.01, 0.05), 2)


@dataclass
class QuestionFeatures:
    features: np.ndarray  # candidates x FEATURES
    gold: np.ndarray  # bool per candidate
    sentence_similarity: list[np.ndarray]
    sentence_coverage: list[np.ndarray]
    sentence_holds_answer: list[np.ndarray]


def collect(retriever: Retriever, articles, encoder: TextEncoder, *, mask_own: bool = False) -> list[QuestionFeatures]:
    """Every candidate's features for every question; `mask_own` hides the question's article."""
    mask = without_article(retriever.current_index())
    questions = [q for a in articles for q in a.questions]
    vectors = encoder.encode([q.question for q in questions])
    collected = []
    for question, vector in zip(questions, vectors, strict=True):
        allowed = mask(question.article_id) if mask_own else None
        candidates = retriever.candidates_for(
            question.question, pool=retriever.candidates, question_vector=vector, allowed=allowed
        )
        answers = [a for a in (normalise_answer(a) for a in question.answers) if a]
        collected.append(
            QuestionFeatures(
                features=np.stack([c.features for c in candidates]),
                gold=np.array(
                    [
                        c.paragraph.article_id == question.article_id and c.paragraph.number == question.paragraph
                        for c in candidates
                    ]
                ),
                sentence_similarity=[c.sentence_similarity for c in candidates],
                sentence_coverage=[c.sentence_coverage for c in candidates],
                sentence_holds_answer=[
                    np.array([any(a in n for a in answers) for n in normalised_sentences(c)]) for c in candidates
                ],
            )
        )
    return collected


def normalised_sentences(candidate) -> list[str]:
    text = candidate.paragraph.text
    return [normalise_answer(text[s:e]) for s, e in candidate.paragraph.sentence_spans]


def recall_mrr(data: list[QuestionFeatures], weights: np.ndarray) -> tuple[float, float]:
    """(Recall@1, MRR@10) of ranking every question's candidates by `weights`."""
    hits = mrr = 0.0
    for q in data:
        order = np.argsort(-(q.features @ weights), kind="stable")
        ranked_gold = np.flatnonzero(q.gold[order])
        if ranked_gold.size:
            rank = ranked_gold[0]
            hits += rank == 0
            mrr += 1 / (rank + 1) if rank < 10 else 0
    return round(float(hits / len(data)), 4), round(float(mrr / len(data)), 4)


def coordinate_ascent(data: list[QuestionFeatures], start: np.ndarray, rounds: int = 3) -> np.ndarray:
    weights = start.copy()
    best = recall_mrr(data, weights)
    for _ in range(rounds):
        improved = False
        for feature in range(len(weights)):
            for value in GRID:
                trial = weights.copy()
                trial[feature] = value
                score = recall_mrr(data, trial)
                if score > best:
                    best, weights, improved = score, trial, True
        if not improved:
            break
    return weights


def answer_choice(q: QuestionFeatures, weights: np.ndarray, lexical: float, passage: float, top: int = 3):
    """(relevance, holds answer) of the sentence the reply would quote."""
    scores = q.features @ weights
    best, relevance, holds = -np.inf, 0.0, False
    for i in np.argsort(-scores, kind="stable")[:top]:
        sentence_scores = q.sentence_similarity[i] + lexical * q.sentence_coverage[i]
        j = int(np.argmax(sentence_scores))
        if sentence_scores[j] + passage * scores[i] > best:
            best = sentence_scores[j] + passage * scores[i]
            relevance, holds = float(sentence_scores[j]), bool(q.sentence_holds_answer[i][j])
    return relevance, holds


def answer_accuracy(data: list[QuestionFeatures], weights: np.ndarray, lexical: float, passage: float) -> float:
    return sum(answer_choice(q, weights, lexical, passage)[1] for q in data) / len(data)


def main() -> int:
    asker = question_encoder()
    dev = load_squad("dev")
    fit, report = split_by_article(dev)
    retriever = Retriever(prepare_index("dev", dev, Encoder()), encoder=asker, candidates=40)
    fit_data = collect(retriever, fit, asker)
    report_data = collect(retriever, report, asker)
    start = np.array(astuple(retriever.fusion_weights()), dtype=np.float32)
    print("features:", FEATURES, flush=True)
    for name, vector in (("start", start), ("paragraph only", np.eye(len(FEATURES))[0])):
        print(f"{name:>15}: fit R@1/MRR {recall_mrr(fit_data, vector)}, report {recall_mrr(report_data, vector)}")
    weights = coordinate_ascent(fit_data, start)
    print("fitted weights:", {f: round(float(w), 2) for f, w in zip(FEATURES, weights, strict=True)})
    print(f"fitted: fit R@1/MRR {recall_mrr(fit_data, weights)}, report {recall_mrr(report_data, weights)}")
    print(f"        all R@1/MRR {recall_mrr(fit_data + report_data, weights)}")
    best = max(
        ((lexical, passage) for lexical in GRID[:21] for passage in GRID[:21]),
        key=lambda lp: answer_accuracy(fit_data, weights, *lp),
    )
    print(
        f"answer weights lexical={best[0]} passage={best[1]}: fit {answer_accuracy(fit_data, weights, *best):.3f},"
        f" report {answer_accuracy(report_data, weights, *best):.3f}"
    )
    masked = collect(retriever, fit, asker, mask_own=True)
    present = np.array([answer_choice(q, weights, *best)[0] for q in fit_data])
    absent = np.array([answer_choice(q, weights, *best)[0] for q in masked])
    for keep in (0.99, 0.98, 0.97, 0.95):
        threshold = float(np.quantile(present, 1 - keep))
        print(
            f"threshold {threshold:.3f}: answers {np.mean(present >= threshold):.3f} of questions whose article is"
            f" there, says not found for {np.mean(absent < threshold):.3f} of those whose article is masked"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
