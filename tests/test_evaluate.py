"""The SQuAD evaluation itself, on a slice: one dev article, its first questions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qa.answer import Passage, Reply
from qa.datasets import SquadQuestion, load_squad
from qa.evaluate import gold_rank, main, phrase_scores, sentence_holds_answer
from qa.feedback import FEEDBACK_FILE, FeedbackLog
from tests.conftest import ROOT

SQUAD_SLICE = ROOT / "tests" / "data" / "squad-dev-slice.json"


def test_gold_rank_and_answer_sentence_checks():
    question = SquadQuestion(id="q", question="?", answers=("Denver Broncos",), article_id="a", paragraph=2)
    passages = tuple(Passage(article="a", title="t", paragraph=n, text="x", score=0.0) for n in (3, 2, 1))
    reply = Reply(question="?", answer="The denver broncos won.", found=True, passages=passages, answer_passage=1)
    assert gold_rank(reply, question) == 1
    assert sentence_holds_answer(reply, question)
    assert not sentence_holds_answer(Reply(question="?", answer="Nothing here.", found=True), question)


def test_phrase_scores_follow_squads_official_normalisation():
    assert phrase_scores("the Denver Broncos!", ["Denver Broncos"]) == (1.0, 1.0)
    exact, f1 = phrase_scores("Denver", ["Denver Broncos", "Broncos"])
    assert exact == 0 and f1 == 2 / 3  # the best of the gold answers: half the words of the first, precision 1
    assert phrase_scores("", ["Denver Broncos"]) == (0.0, 0.0)


@pytest.mark.slow
def test_evaluation_runs_end_to_end_on_a_slice(tmp_path: Path, capsys):
    """On the shipped slice of SQuAD dev, placed where the download would go: no network needed."""
    (tmp_path / "squad").mkdir()
    shutil.copy(SQUAD_SLICE, tmp_path / "squad" / "dev-v1.1.json")
    output = tmp_path / "figures.json"
    assert main(["--articles", "1", "--questions", "40", "--cache", str(tmp_path), "--output", str(output)]) == 0
    figures = json.loads(output.read_text())
    article = load_squad("dev", cache=tmp_path)[0]
    assert figures["paragraphs"] >= len(article.paragraphs)
    modes = {r["mode"]: r for r in figures["results"]}
    assert set(modes) == {"hybrid", "hybrid, no reader", "dense", "bm25"}
    for result in modes.values():
        assert result["questions"] == 40
        assert 0 <= result["recall"]["1"] <= result["recall"]["5"] <= result["recall"]["20"] <= 1
        assert 0 <= result["phrase_exact_match"] <= result["phrase_f1"] <= 1
        # an exact phrase lies in its sentence; a partial one may overlap an answer the sentence lacks
        assert result["phrase_exact_match"] <= result["answer_sentence_accuracy"] + 1e-9
    assert modes["hybrid, no reader"]["phrase_f1"] == 0  # without the reader, no phrase is marked
    # On one article of ~50 paragraphs the right paragraph is nearly always among the first five.
    assert modes["hybrid"]["recall"]["5"] >= 0.9
    assert 0 <= figures["own_article_masked_not_found"] <= 1
    assert "| hybrid | 40 |" in capsys.readouterr().out


def test_the_feedback_report_lists_downvoted_answers_with_their_comments(tmp_path: Path, capsys):
    log = FeedbackLog(tmp_path / FEEDBACK_FILE)
    reply = {"question": "Who won?", "answer": "Nobody.", "found": True, "passages": [
        {"article": "a.txt", "title": "Final", "paragraph": 3, "text": "...", "score": 0.9}
    ]}  # fmt: skip
    log.add_comment(log.add_vote(reply, liked=False), "  wrong   team ")
    log.add_vote({**reply, "question": "Who lost?"}, liked=True)
    with (tmp_path / FEEDBACK_FILE).open("a") as file:
        file.write('{"torn line\n')
    assert main(["--feedback-report", str(tmp_path)]) == 0
    report = capsys.readouterr().out
    assert report.startswith("# Downvoted answers: 1 of 2 votes")
    assert "## Who won?" in report and "- cited: Final ¶3" in report and "- comment: wrong team" in report
    assert "Who lost?" not in report


def test_a_changed_vote_replaces_the_one_before_it(tmp_path: Path):
    log = FeedbackLog(tmp_path / FEEDBACK_FILE)
    reply = {"question": "Who won?", "answer": "Nobody.", "found": True, "passages": []}
    first = log.add_vote(reply, liked=True)
    log.add_vote({**reply, "question": "Who lost?"}, liked=True)
    changed = log.add_vote(reply, liked=False, replaces=first)
    assert [(v.id, v.question, v.liked) for v in log.votes()] == [
        (log.votes()[0].id, "Who lost?", True),
        (changed, "Who won?", False),
    ]
