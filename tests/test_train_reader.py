"""How the reader's training pairs are made, on a few made-up SQuAD articles (no model)."""

from __future__ import annotations

import random

from qa.datasets import SquadArticle, SquadQuestion
from qa.train_reader import PairMaker, question_shape, title_slug


def article(title: str, text: str, question: str, answer: str) -> SquadArticle:
    slug = title_slug(title)
    asked = SquadQuestion(f"{slug}-1", question, (answer,), slug, 1, text.index(answer))
    return SquadArticle(slug, title, (text,), (asked,))


ARTICLES = [
    article(
        "Boeing",
        "Boeing builds aircraft in Seattle. Its chief executive is Dennis Muilenburg. "
        "The company was founded in 1916 by William Boeing.",
        "Who is the chief executive of Boeing?",
        "Dennis Muilenburg",
    ),
    article(
        "Unilever",
        "Unilever sells soap and tea. Paul Polman took the top job at Unilever in 2009. It is based in London.",
        "Who became the chief executive of Unilever in 2009?",
        "Paul Polman",
    ),
    article(
        "Paris",
        "Paris is the capital of France. It has many museums and a famous tower.",
        "What is the capital of France?",
        "Paris",
    ),
]


def pairs_of(title: str, *, look_alikes: bool = True):
    pool = [(index, q) for index, a in enumerate(ARTICLES) for q in a.questions]
    index = next(i for i, a in enumerate(ARTICLES) if a.title == title)
    return PairMaker(ARTICLES, pool, look_alikes).pairs(index, ARTICLES[index].questions[0], random.Random(1))


def test_a_question_shape_keeps_what_is_asked_not_about_whom():
    shape = question_shape("Who became the chief executive of Unilever in 2009?")
    assert {"chief", "execut"} <= set(shape)
    assert not {"unilev", "2009"} & set(shape)


def test_the_answering_sentence_is_paired_with_its_answer_span():
    positive, *negatives = pairs_of("Boeing")
    assert positive.sentence == "Its chief executive is Dennis Muilenburg."
    assert positive.sentence[slice(*positive.answer)] == "Dennis Muilenburg"
    assert negatives and all(pair.answer is None for pair in negatives)


def test_the_answer_to_the_same_question_about_another_subject_is_a_negative():
    sentences = [pair.sentence for pair in pairs_of("Boeing")]
    # it shares none of the question's words: only the other question's shape leads to it
    assert "Paul Polman took the top job at Unilever in 2009." in sentences
    assert "Paul Polman took the top job at Unilever in 2009." not in [
        pair.sentence
        for pair in pairs_of("Boeing", look_alikes=False)  # the shipped reader's pairs
    ]
    assert len(sentences) == len(set(sentences))
    assert not any("Muilenburg" in s for s in sentences[1:])
