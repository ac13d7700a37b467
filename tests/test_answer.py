"""Answers: with the real model and reader on the seed article, and the answering logic around the reader
with a stand-in reader."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest

from embeddings.paragraphs import sentence_spans
from embeddings.store import StoredParagraph
from qa.answer import (
    COVERAGE,
    EMPTY_QUESTION,
    MAX_QUESTION_CHARS,
    NOT_FOUND,
    Answerer,
    AnswerWeights,
    by_reading,
    by_similarity,
    clean_question,
    compose_reply,
    names_missing,
    without_markup,
)
from qa.reader import ReaderCalibration, Reading
from qa.retrieve import Candidate

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


@pytest.mark.parametrize(
    ("question", "read_as"),
    [
        ("<b>Where</b> did <i>Xi and Putin</i> meet?", "Where did Xi and Putin meet?"),
        ("Is 3 < 5 and 6 > 4 in the <a href='x'>report</a>?", "Is 3 < 5 and 6 > 4 in the report ?"),
        ("<br/>", "<br/>"),  # nothing but a tag: left as typed
    ],
)
def test_markup_is_taken_out_of_what_is_searched_and_read(question: str, read_as: str):
    assert without_markup(question) == read_as


def test_a_question_with_markup_is_still_answered_from_its_words(answerer: Answerer):
    reply = answerer.ask("<b>Where</b> did <i>Xi and Putin</i> meet?", k=3)
    assert reply.found and reply.passages[0].paragraph == 1


class KeywordReader:
    """A stand-in reader, to test the answering around the model: a sentence answers when it holds
    `answer`, and the phrase is that word."""

    def __init__(self, answer: str) -> None:
        self.answer = answer

    def load(self) -> None:
        pass

    def read(self, question: str, sentences: Sequence[str], *, titles: Sequence[str] = ()) -> list[Reading]:
        return [
            Reading(4.0, (s.index(self.answer), s.index(self.answer) + len(self.answer)))
            if self.answer in s
            else Reading(-4.0, (0, 1))
            for s in sentences
        ]


def stored(row: int, text: str) -> StoredParagraph:
    spans = tuple(sentence_spans(text))
    return StoredParagraph(
        row=row, article_id=f"a{row}.txt", title=f"Article {row}", number=1, part=1, text=text, hash=str(row),
        first_sentence=0, sentence_spans=spans, sentence_terms=(), sentence_bigrams=(),
    )  # fmt: skip


def candidates(*texts: str) -> list[Candidate]:
    """Candidates in rank order, scores falling; the first sentence of each is the most similar."""
    made = []
    for row, text in enumerate(texts):
        count = len(sentence_spans(text))
        similarity = np.linspace(0.9, 0.5, count)
        made.append(Candidate(stored(row, text), 0.6 - 0.1 * row, np.zeros(6), similarity, np.zeros(count)))
    return made


BOSTON = (
    "America's first public school was founded in Boston in 1635. It is the oldest.",
    "Boston is a large city. It was founded in 1630 by Puritan settlers.",
    "The city has many universities. Boston hosts a marathon.",
)


def test_the_sentence_that_answers_is_quoted_its_passage_first_and_its_phrase_marked():
    calibration = ReaderCalibration(reading_passage=1.0, rerank=0.3, min_quote=0.0)
    reader = KeywordReader("Puritan settlers")
    read = by_reading("Who founded Boston?", candidates(*BOSTON), reader, AnswerWeights(read_passages=2), calibration)
    reply = compose_reply("Who founded Boston?", read, min_relevance=calibration.min_quote)
    assert reply.found and reply.answer == "It was founded in 1630 by Puritan settlers."
    assert reply.answer[slice(*reply.answer_span)] == "Puritan settlers"
    assert [p.article for p in reply.passages] == ["a1.txt", "a0.txt", "a2.txt"]  # re-ranked by the reading
    first = reply.passages[0]
    assert reply.answer_passage == 0 and first.text[slice(*first.phrase)] == "Puritan settlers"
    assert first.score > 0.5 and reply.passages[1].phrase is None


def test_passages_beyond_those_read_are_cited_for_their_closest_sentence_but_never_quoted():
    calibration = ReaderCalibration(reading_passage=1.0, rerank=0.0, min_quote=1.0)
    reader = KeywordReader("marathon")
    read = by_reading(
        "What does Boston host?", candidates(*BOSTON), reader, AnswerWeights(read_passages=2), calibration
    )
    reply = compose_reply("What does Boston host?", read, min_relevance=calibration.min_quote)
    assert not reply.found and reply.answer == NOT_FOUND and reply.answer_span is None
    unread = reply.passages[2]
    assert unread.text[slice(*unread.highlight)] == "The city has many universities."


def test_a_passage_without_the_question_s_words_is_less_sure_and_said_not_found():
    """The same reading is quoted from a passage holding the question's weighted words and not from one
    lacking them, once coverage weighs in the confidence."""
    calibration = ReaderCalibration(reading_passage=1.0, rerank=0.0, min_quote=6.0, coverage=4.0)
    reader, weights = KeywordReader("Puritan settlers"), AnswerWeights(read_passages=2)
    for share, found in ((1.0, True), (0.0, False)):
        features = np.zeros(6)
        features[COVERAGE] = share
        found_in = [replace(c, features=features) for c in candidates(*BOSTON)]
        read = by_reading("Who founded Boston?", found_in, reader, weights, calibration)
        assert compose_reply("Who founded Boston?", read, min_relevance=calibration.min_quote).found is found


def test_a_quote_from_an_article_that_never_names_the_question_s_subject_is_said_not_found():
    """The same reading is quoted from an article that mentions the question's names and not from
    one that does not, once the names weigh in the confidence."""
    calibration = ReaderCalibration(reading_passage=1.0, rerank=0.0, min_quote=4.0, names=4.0)
    reader, weights = KeywordReader("Puritan settlers"), AnswerWeights(read_passages=2)
    for missing, found in ((np.zeros(3), True), (np.ones(3), False)):
        read = by_reading("Who founded Boston?", candidates(*BOSTON), reader, weights, calibration, missing)
        assert compose_reply("Who founded Boston?", read, min_relevance=calibration.min_quote).found is found


def test_names_are_looked_for_in_the_whole_article_of_each_candidate(answerer: Answerer):
    """Putin is named in the seed's first paragraph, not in the one about Katrina Yu."""
    index = answerer.retriever.current_index()
    for question, share in (("What did Katrina Yu say of Putin?", 0.0), ("What did Katrina Yu say of Boeing?", 1 / 3)):
        found = answerer.retriever.search(question, k=3, index=index)
        assert any("Putin" not in c.paragraph.text for c in found)
        assert names_missing(question, found, index).tolist() == pytest.approx([share] * len(found))


def test_without_a_reader_the_most_similar_sentence_is_quoted():
    weights = AnswerWeights(min_relevance=0.0)
    reply = compose_reply("Who founded Boston?", by_similarity(candidates(*BOSTON), weights), min_relevance=0.0)
    assert reply.answer == BOSTON[0].split(". ")[0] + "." and reply.answer_span is None
