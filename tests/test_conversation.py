"""Follow-up questions: when a question leans on the ones before it, and how it is then read."""

from __future__ import annotations

import pytest

from qa.answer import Answerer
from qa.conversation import Reading, conversation_context, read_in_conversation, refers_back


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
        ("Which network broadcast it in the U.S.?", True),  # "it" comes before any name
        ("Near Chur, which direction does it turn?", True),  # a name before the question word
        ("When did Nikola Tesla move to New York and what did he work on there?", False),
        ("What did Peyton Manning say after he won?", False),
        ("What would China do if the US imposed sanctions on them?", True),  # "them": no plural named
        ("Why did Xi and Putin say they oppose NATO?", False),
        ("What was the name of the single that Coldplay released?", False),  # "that" opens a clause
        ("What happened after that?", True),
        ("How old?", True),
        ("What are the three kinds of rock, and how do these form?", False),  # the second half's "these"
        ("Under his treaty, which lands did Rollo receive?", False),  # "his" ahead of the name
        ("What is its capital and how many people live there?", True),
        ("What is NATO?", False),
    ],
)
def test_which_questions_lean_on_earlier_ones(question: str, leans: bool):
    assert refers_back(question) is leans


def test_the_context_goes_back_to_the_last_question_that_stood_alone():
    earlier = ["What is the capital of Kenya?", "Where did Xi and Putin meet?", "And when?"]
    assert conversation_context("Why there?", earlier) == ["Where did Xi and Putin meet?", "And when?"]
    assert conversation_context("Which alliance worried both leaders?", earlier) == []
    assert conversation_context("And when?", []) == []


def test_a_bare_question_word_is_filled_in_from_the_question_before_it_and_shown_as_english():
    assert read_in_conversation("And when?", ["Where did Xi and Putin meet?"]) == Reading(
        "when did Xi and Putin meet?", note="Read as: “When did Xi and Putin meet?”"
    )
    # "Who founded Boston?" has no "did" to keep: "when founded Boston" is searched, never shown
    assert read_in_conversation("And when?", ["Who founded Boston?"]) == Reading(
        "when founded Boston?", note="Read with your previous question: “Who founded Boston?”"
    )
    assert read_in_conversation("And when?", []) == Reading("And when?")


def test_a_follow_up_keeps_its_words_and_names_the_questions_it_is_read_with():
    earlier = ["Where was Tesla born?", "When did he move to New York?"]
    assert read_in_conversation("And why did he leave?", earlier) == Reading(
        "And why did he leave?",
        tuple(earlier),
        "Read with your previous questions: “Where was Tesla born?” / “When did he move to New York?”",
    )


def test_and_when_after_where_they_met_finds_the_visits_date(answerer: Answerer):
    alone = answerer.ask("And when?")
    follow_up = answerer.ask("And when?", earlier=["Where did Xi and Putin meet?"])
    assert follow_up.question == "And when?" and follow_up.notes == ("Read as: “When did Xi and Putin meet?”",)
    assert follow_up.found and "February 4" in " ".join(p.text for p in follow_up.passages[:2])
    assert [p.paragraph for p in follow_up.passages] != [p.paragraph for p in alone.passages]


def test_a_pronoun_follow_up_is_steered_by_the_earlier_question_and_says_so(answerer: Answerer):
    reply = answerer.ask("What did she say about an attack on Ukraine?", earlier=["Who reported from Beijing?"])
    assert reply.notes == ("Read with your previous question: “Who reported from Beijing?”",)
    assert reply.found and reply.passages[0].paragraph == 6


def test_a_new_subject_is_searched_alone(answerer: Answerer):
    earlier = ["Where did Xi and Putin meet?"]
    fresh = answerer.ask("Which alliance worried both leaders?", earlier=earlier)
    assert fresh.notes == () and fresh.to_json() == answerer.ask("Which alliance worried both leaders?").to_json()
