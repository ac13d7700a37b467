"""The reader: the shipped model, loaded offline, and the phrase picking around it."""

from __future__ import annotations

import numpy as np
import pytest

from qa.answer import NOT_FOUND, Answerer
from qa.reader import MAX_ANSWER_PIECES, MODEL_DIR, Reader, ReaderCalibration, best_phrase, with_title

BOSTON = [
    "America's first public school was founded in Boston in 1635.",
    "Boston was founded on the Shawmut Peninsula in 1630 by Puritan settlers from England.",
    "The city hosts many universities and hospitals.",
]


@pytest.fixture(scope="module")
def reader() -> Reader:
    reader = Reader()
    reader.load()
    return reader


def test_the_model_ships_in_the_repository_small_enough():
    assert (MODEL_DIR / "model.onnx").stat().st_size <= 30 * 2**20
    assert (MODEL_DIR / "tokenizer.json").exists() and (MODEL_DIR / "README.md").exists()


def test_the_calibration_ships_beside_the_model_and_a_broken_one_names_its_file_and_the_fix(tmp_path):
    assert Reader().calibration.min_quote > 0  # fitted: a quote must read as an answer to be quoted
    path = tmp_path / "calibration.json"
    with pytest.raises(FileNotFoundError, match=r"calibration\.json: the reader's calibration is missing; fit it"):
        ReaderCalibration.load(path)
    path.write_text('{"reading_passage": 26.0, "rerank": 0.25}')
    with pytest.raises(ValueError, match=r"not a reader calibration.*min_quote.*tune_reader\.py --write"):
        ReaderCalibration.load(path)
    path.write_text('{"reading_passage": 26.0, "rerank": true, "min_quote": NaN}')
    with pytest.raises(ValueError, match="must be finite numbers"):
        ReaderCalibration.load(path)
    ReaderCalibration(reading_passage=2.0, rerank=0.5, min_quote=1.5, coverage=3.0).save(path, fitted_by="a test")
    assert ReaderCalibration.load(path) == ReaderCalibration(
        reading_passage=2.0, rerank=0.5, min_quote=1.5, coverage=3.0
    )
    path.write_text('{"reading_passage": 26.0, "rerank": 0.25, "min_quote": 4.83}')  # written before coverage
    assert ReaderCalibration.load(path).coverage == 0.0


def test_the_sentence_that_answers_reads_best_and_its_phrase_answers(reader: Reader):
    readings = reader.read("Who founded Boston?", BOSTON)
    assert max(range(3), key=lambda i: readings[i].score) == 1
    start, end = readings[1].span
    assert "Puritan settlers" in BOSTON[1][start:end]
    assert readings[1].score > readings[2].score + 5  # far above a sentence on another subject


def test_questions_read_at_once_read_as_they_do_alone(reader: Reader):
    """Under load a reading shares the cores (one thread each); it must not read differently."""
    from concurrent.futures import ThreadPoolExecutor

    questions = ["Who founded Boston?", "In what year did Boston's first public school open?"] * 4
    alone = [reader.read(question, BOSTON) for question in questions]
    with ThreadPoolExecutor(len(questions)) as pool:
        together = list(pool.map(lambda question: reader.read(question, BOSTON), questions))
    assert reader._reading == 0
    for one, other in zip(alone, together, strict=True):
        assert [r.span for r in one] == [r.span for r in other]
        assert np.allclose([r.score for r in one], [r.score for r in other], atol=0.05)


def test_a_when_question_marks_a_year(reader: Reader):
    reading = reader.read("In what year did Boston's first public school open?", BOSTON[:1])[0]
    assert BOSTON[0][slice(*reading.span)] == "1635"


def test_a_long_question_is_cut_and_still_read(reader: Reader):
    question = "Who founded Boston? " + "Please tell me more about it. " * 200
    readings = reader.read(question, BOSTON)
    assert all(0 <= r.span[0] < r.span[1] <= len(s) for r, s in zip(readings, BOSTON, strict=True))


def test_with_titles_the_phrase_is_marked_in_the_sentence_never_in_the_title(reader: Reader):
    titles = ["Boston, founded by Puritan settlers"] * len(BOSTON)
    readings = reader.read("Who founded Boston?", BOSTON, titles=titles)
    assert max(range(3), key=lambda i: readings[i].score) == 1
    assert "Puritan settlers" in BOSTON[1][slice(*readings[1].span)]
    assert all(0 <= r.span[0] <= r.span[1] <= len(s) for r, s in zip(readings, BOSTON, strict=True))
    assert with_title("Boston", "It grew.") == ("Boston | It grew.", len("Boston | "))
    assert with_title("", "It grew.") == ("It grew.", 0)


def test_no_sentences_no_readings(reader: Reader):
    assert reader.read("Who?", []) == []


def test_best_phrase_stays_in_the_sentence_and_is_scored_against_no_answer():
    # pieces: [CLS] q q [SEP] s s s [SEP]; the highest start logit sits on a question piece
    start = np.array([1.0, 9.0, 0.0, 0.0, 2.0, 5.0, 0.0, 0.0])
    end = np.array([1.0, 9.0, 0.0, 0.0, 0.0, 0.0, 4.0, 0.0])
    in_sentence = np.array([False, False, False, False, True, True, True, False])
    offsets = [(0, 0), (0, 3), (4, 6), (0, 0), (0, 5), (6, 9), (10, 14), (0, 0)]
    reading = best_phrase(start, end, in_sentence=in_sentence, offsets=offsets)
    assert reading.span == (6, 14)  # pieces 5..6
    assert reading.score == pytest.approx(5.0 + 4.0 - 2.0)


def test_best_phrase_never_ends_before_it_starts_or_runs_too_long():
    pieces = MAX_ANSWER_PIECES + 10
    start, end = np.zeros(pieces), np.zeros(pieces)
    start[-2], end[2] = 10.0, 10.0  # the best start comes after the best end
    in_sentence = np.ones(pieces, dtype=bool)
    in_sentence[0] = False
    offsets = [(i, i + 1) for i in range(pieces)]
    first, last = best_phrase(start, end, in_sentence=in_sentence, offsets=offsets).span
    assert first < last and last - first <= MAX_ANSWER_PIECES


def test_seed_question_marks_the_correspondent_in_the_quoted_sentence(answerer: Answerer):
    reply = answerer.ask("Which Al Jazeera correspondent commented on China's stance?", k=3)
    assert reply.found and reply.answer_span is not None
    start, end = reply.answer_span
    assert "Katrina Yu" in reply.answer[start:end]
    cited = reply.passages[reply.answer_passage]
    assert cited.phrase is not None and cited.text[slice(*cited.phrase)] == reply.answer[start:end]
    assert reply.to_json()["answer_span"] == [start, end]


@pytest.mark.parametrize("question", ["What is the capital of France?", "Who founded Boston?"])
def test_questions_the_article_does_not_answer_are_told_not_found(answerer: Answerer, question: str):
    reply = answerer.ask(question, k=3)
    assert not reply.found and reply.answer == NOT_FOUND and reply.answer_span is None
