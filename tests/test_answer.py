"""Retrieval and answers with the real model on the seed article."""

from __future__ import annotations

import pytest

from qa.answer import EMPTY_QUESTION, MAX_QUESTION_CHARS, NOT_FOUND, Answerer, clean_question

KNOWN_PARAGRAPHS = [
    ("What did Putin call his country's ties with China?", 2),
    ("Where did Xi and Putin meet?", 1),
    ("Which defense alliance did both leaders express concern about?", 3),
    ("What did the two leaders oppose the further expansion of?", 4),
    ("Who is the Al Jazeera correspondent who commented?", 6),
    ("What would China do if the US imposed crippling sanctions?", 8),
]


@pytest.mark.parametrize(("question", "paragraph"), KNOWN_PARAGRAPHS)
def test_the_answer_paragraph_comes_first(answerer: Answerer, question: str, paragraph: int):
    reply = answerer.ask(question, k=3)
    assert reply.found
    assert reply.passages[0].paragraph == paragraph
    assert reply.passages[0].title == "Xi, Putin show united front amid tensions with West"


def test_answer_quotes_the_sentence_and_its_offsets_point_at_it(answerer: Answerer):
    reply = answerer.ask("What did Putin call his country's ties with China?", k=3)
    assert "“unprecedented” ties" in reply.answer
    cited = reply.passages[reply.answer_passage]
    start, end = cited.highlight
    assert cited.text[start:end] == reply.answer


@pytest.mark.parametrize(
    "question",
    ["How tall is the Eiffel Tower?", "What is a good recipe for pancakes?", "Who won the 1998 football world cup?"],
)
def test_unrelated_questions_are_told_nothing_was_found(answerer: Answerer, question: str):
    reply = answerer.ask(question, k=3)
    assert not reply.found and reply.answer == NOT_FOUND and reply.answer_passage is None


def test_every_mode_ranks_the_obvious_paragraph_first(answerer: Answerer):
    for mode in ("hybrid", "dense", "bm25"):
        reply = answerer.ask("Putin hailed unprecedented ties with China", k=3, mode=mode)
        assert reply.passages[0].paragraph == 2, mode


def test_k_limits_the_passages(answerer: Answerer):
    assert len(answerer.ask("Ukraine", k=2).passages) == 2
    assert len(answerer.ask("Ukraine", k=8).passages) == 8


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "\x00\x07"])
def test_empty_questions_get_a_friendly_prompt(answerer: Answerer, question: str):
    reply = answerer.ask(question)
    assert reply.answer == EMPTY_QUESTION and not reply.passages


def test_long_questions_are_cut_with_a_note(answerer: Answerer):
    reply = answerer.ask("Where did Xi and Putin meet? " * 5000)
    assert len(reply.question) == MAX_QUESTION_CHARS
    assert reply.notes and "cut to its first 1000 characters" in reply.notes[0]
    assert reply.passages


def test_clean_question_drops_control_characters():
    assert clean_question("Where\x00 did\u200b they\r\nmeet?") == ("Where did they meet?", ())


@pytest.mark.parametrize(
    "question",
    [
        "习近平和普京在哪里会面？",
        "Որտե՞ղ են հանդիպել Սի Ցզինպինը և Պուտինը",
        "Где встретились Си Цзиньпин и Путин?",
        "<script>alert('x')</script> Where did Xi and Putin meet?",
        "' OR 1=1; DROP TABLE paragraphs; --",
        "Putin " * 20_000,
    ],
)
def test_odd_questions_get_a_reply_not_an_error(answerer: Answerer, question: str):
    reply = answerer.ask(question, k=3)
    assert reply.answer and len(reply.passages) == 3
    assert reply.to_json()["question"] == reply.question


def test_a_question_with_markup_is_still_answered_from_its_words(answerer: Answerer):
    reply = answerer.ask("<b>Where</b> did <i>Xi and Putin</i> meet?", k=3)
    assert reply.found and reply.passages[0].paragraph == 1
