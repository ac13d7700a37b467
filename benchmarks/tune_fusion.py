"""Fit the hybrid ranking's feature weights, the answer-sentence weights and the "not found"
threshold on half of the SQuAD v1.1 dev articles; report on the other half and on all.

    python benchmarks/tune_fusion.py

Protocol: dev articles are split by article (even-numbered to fit, odd-numbered to report);
train questions are never used. The weights are a small learned model: a linear score per
candidate, fitted so that a softmax over each question's candidates gives the gold paragraph the
highest likelihood it can (a listwise ranking loss; smooth, where Recall@1 is a step function and
coordinate search on it stalls once features overlap), then scaled to sum to 1. It prints the
fitted values as a `FusionWeights(...)`, to become the defaults in `qa/ranking.py`, with the
figures in docs/benchmarks.md.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings.encoder import Encoder, TextEncoder, question_encoder
from qa.datasets import load_squad
from qa.evaluate import holds_gold, normalise_answer, prepare_index, split_by_article, without_article
from qa.ranking import FEATURE_NAMES, FusionWeights
from qa.retrieve import Retriever

LEXICAL_GRID = np.round(np.arange(0.0, 1.01, 0.1), 1)
PASSAGE_GRID = np.round(np.arange(0.0, 4.01, 0.2), 1)  # the fused score is a weighted mean of features, about 0..1


@dataclass
class QuestionFeatures:
    features: np.ndarray  # candidates x FEATURE_NAMES
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
                gold=np.array([holds_gold(c.paragraph, question) for c in candidates], dtype=bool),
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


def ranking_metrics(data: list[QuestionFeatures], weights: np.ndarray) -> dict[str, float]:
    """Recall@1, Recall@5 and MRR@10 of ranking every question's candidates by `weights`."""
    ranks = []
    for q in data:
        ranked_gold = np.flatnonzero(q.gold[np.argsort(-(q.features @ weights), kind="stable")])
        ranks.append(ranked_gold[0] if ranked_gold.size else len(q.gold))
    ranks = np.array(ranks)
    return {
        "R@1": round(float(np.mean(ranks < 1)), 4),
        "R@5": round(float(np.mean(ranks < 5)), 4),
        "MRR@10": round(float(np.mean(np.where(ranks < 10, 1 / (ranks + 1), 0.0))), 4),
    }


def fit_weights(data: list[QuestionFeatures]) -> np.ndarray:
    """Weights that give each question's gold paragraph the highest softmax likelihood among its candidates."""
    usable = [q for q in data if q.gold.any()]
    width = max(len(q.gold) for q in usable)
    features = torch.zeros(len(usable), width, len(FEATURE_NAMES))
    present = torch.zeros(len(usable), width, dtype=torch.bool)
    gold = torch.zeros(len(usable), width, dtype=torch.bool)
    for i, q in enumerate(usable):
        features[i, : len(q.gold)] = torch.from_numpy(q.features)
        present[i, : len(q.gold)] = True
        gold[i, : len(q.gold)] = torch.from_numpy(q.gold)
    weights = torch.zeros(len(FEATURE_NAMES), requires_grad=True)
    optimiser = torch.optim.LBFGS([weights], max_iter=500, line_search_fn="strong_wolfe")

    def negative_log_likelihood() -> torch.Tensor:
        optimiser.zero_grad()
        scores = (features @ weights).masked_fill(~present, -torch.inf)
        loss = (torch.logsumexp(scores, 1) - torch.logsumexp(scores.masked_fill(~gold, -torch.inf), 1)).mean()
        loss.backward()
        return loss

    optimiser.step(negative_log_likelihood)
    fitted = weights.detach().numpy().astype(np.float32)
    return np.round(fitted / fitted.sum(), 3)


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
    current = retriever.fusion_weights().vector()
    weights = fit_weights(fit_data)
    fitted = FusionWeights(**{name: round(float(w), 3) for name, w in zip(FEATURE_NAMES, weights, strict=True)})
    print("fitted weights:", fitted, flush=True)
    paragraph_only = np.eye(len(FEATURE_NAMES))[FEATURE_NAMES.index("paragraph")]
    for name, vector in (("paragraph only", paragraph_only), ("current", current), ("fitted", weights)):
        print(
            f"{name:>15}: fit {ranking_metrics(fit_data, vector)}, report {ranking_metrics(report_data, vector)},"
            f" all {ranking_metrics(fit_data + report_data, vector)}"
        )
    best = max(
        ((lexical, passage) for lexical in LEXICAL_GRID for passage in PASSAGE_GRID),
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
