"""How the reader's training pairs are made, on a few made-up SQuAD articles (no model)."""

from __future__ import annotations

import random

from qa.datasets import SquadArticle, SquadQuestion
from qa.train_reader import PairMaker, question_shape, title_slug, tokenized


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


def test_each_pair_carries_its_sentences_article_title():
    by_sentence = {pair.sentence: pair.title for pair in pairs_of("Boeing")}
    assert by_sentence["Its chief executive is Dennis Muilenburg."] == "Boeing"
    assert by_sentence["Paul Polman took the top job at Unilever in 2009."] == "Unilever"


def test_read_with_titles_the_labels_still_point_at_the_answer():
    from transformers import AutoTokenizer

    from embeddings.encoder import Encoder

    tokenizer = AutoTokenizer.from_pretrained(str(Encoder().path), local_files_only=True)
    positive, *negatives = pairs_of("Boeing")
    for titles in (False, True):
        row, *others = tokenized(tokenizer, [positive, *negatives], titles=titles)
        marked = tokenizer.decode(row["input_ids"][row["start_positions"] : row["end_positions"] + 1])
        assert marked == "dennis muilenburg"
        assert ("boeing |" in tokenizer.decode(row["input_ids"])) == titles
        assert all(other["start_positions"] == other["end_positions"] == 0 for other in others)
