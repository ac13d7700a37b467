"""The first screen's example questions come from the library, whatever it holds."""

from __future__ import annotations

from embeddings.store import StoredParagraph
from qa.library import LibraryEntry
from webui.welcome import example_questions, names_in, newest_first


def entry(title: str, date: str = "") -> LibraryEntry:
    return LibraryEntry(id=f"{title}.txt", title=title, source="", date=date, paragraphs=3)


def paragraph(text: str) -> StoredParagraph:
    return StoredParagraph(
        row=0, article_id="a.txt", title="A", number=1, part=1, text=text, hash="", first_sentence=0,
        sentence_spans=((0, text.index(".") + 1),), sentence_terms=(), sentence_bigrams=(),
    )  # fmt: skip


def test_each_of_the_newest_articles_gives_a_question_from_its_title():
    entries = [entry("Old news", "2020-01-01"), entry("Undated"), entry("Bridge reopens", "2023-05-02")]
    newest = newest_first(entries)
    assert [e.title for e in newest] == ["Bridge reopens", "Old news", "Undated"]
    assert example_questions(newest, []) == [
        "What is “Bridge reopens” about?",
        "What is “Old news” about?",
        "What is “Undated” about?",
    ]


def test_a_small_library_adds_questions_about_the_names_its_first_sentences_mention():
    opening = [
        paragraph("On Friday, February 4, Putin hailed ties with China. Then more."),
        paragraph("Nothing named here."),
        paragraph("In a statement, Russia backed China over Taiwan."),
    ]
    assert example_questions([entry("Leaders meet")], opening) == [
        "What is “Leaders meet” about?",
        "What is said about Putin and China?",
        "What is said about Russia and China?",
    ]


def test_names_leave_out_the_first_word_dates_and_peoples():
    assert names_in("Chinese and British envoys met Vladimir Putin in the Winter Olympics town.") == [
        "Vladimir Putin",
        "Winter Olympics",
    ]
