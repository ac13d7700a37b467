"""Follow-up questions: when a question leans on the ones before it, and how it is then read."""

from __future__ import annotations

import pytest

from qa.answer import Answerer
from qa.conversation import conversation_context, refers_back, rewrite_bare_question


@pytest.mark.parametrize(
    ("question", "leans"),
    [
        ("And when?", True),
        ("When did he die?", True),
        ("What about Russia?", True),
        ("Who built a castle there in 1080?", True),
        ("Where did Xi and Putin meet?", False),
        ("Which alliance worried both leaders?", False),
        ("What is the capital of Kenya?", False),
    ],
)
def test_which_questions_lean_on_earlier_ones(question: str, leans: bool):
    assert refers_back(question) is leans


def test_the_context_goes_back_to_the_last_question_that_stood_alone():
    earlier = ["What is the capital of Kenya?", "Where did Xi and Putin meet?", "And when?"]
    assert conversation_context("Why there?", earlier) == ["Where did Xi and Putin meet?", "And when?"]
    assert conversation_context("Which alliance worried both leaders?", earlier) == []
    assert conversation_context("And when?", []) == []


def test_a_bare_question_word_is_rewritten_into_the_question_before_it():
    assert rewrite_bare_question("And when?", ["Where did Xi and Putin meet?"]) == "when did Xi and Putin meet?"
    assert rewrite_bare_question("Why?", ["Who met in Beijing?"]) == "why met in Beijing?"
    assert rewrite_bare_question("When did he die?", ["Where was Tesla born?"]) is None
    assert rewrite_bare_question("And when?", []) is None


def test_and_when_after_where_they_met_finds_the_visits_date(answerer: Answerer):
    alone = answerer.ask("And when?")
    follow_up = answerer.ask("And when?", earlier=["Where did Xi and Putin meet?"])
    assert follow_up.question == "And when?" and follow_up.notes == ("Read as: when did Xi and Putin meet?",)
    assert follow_up.found and "February 4" in " ".join(p.text for p in follow_up.passages[:2])
    assert [p.paragraph for p in follow_up.passages] != [p.paragraph for p in alone.passages]


def test_a_pronoun_follow_up_is_steered_by_the_earlier_question_and_says_so(answerer: Answerer):
    reply = answerer.ask("What did she say about an attack on Ukraine?", earlier=["Who reported from Beijing?"])
    assert reply.notes == ("Read as a follow-up to: Who reported from Beijing?",)
    assert reply.found and reply.passages[0].paragraph == 6


def test_a_new_subject_is_searched_alone(answerer: Answerer):
    earlier = ["Where did Xi and Putin meet?"]
    fresh = answerer.ask("Which alliance worried both leaders?", earlier=earlier)
    assert fresh.notes == () and fresh.to_json() == answerer.ask("Which alliance worried both leaders?").to_json()
