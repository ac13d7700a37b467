"""The names a question is about, and whether an article mentions them (no model needed)."""

from __future__ import annotations

import pytest

from qa.names import missing_share, question_names, word_set


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("Who is the chief executive of Boeing?", ("boeing",)),
        ("When did the first Apple iPhone go on sale?", ("apple", "iphone")),
        ("Why is GM recalling 18,000 Buick SUVs from the 2005 model year?", ("18000", "buick", "2005")),
        ("Which company has been developing the ESPN-branded sports games on PCs?", ()),
        ("Boeing's chief executive said what?", ()),  # the first word is capitalised anyway
        ("Who played Doctor Who on stage in the 70's and in 3 films?", ("doctor", "who", "70")),
    ],
)
def test_a_questions_names_are_its_capitalised_words_after_the_first_and_its_numbers(question: str, names: tuple):
    assert question_names(question) == names


def test_a_name_counts_as_mentioned_spelt_the_same_as_another_form_or_one_letter_off():
    vocabulary = word_set(["The Millennium Dome opened in 1999.", "Americans bought 18,000 in Georgia."])
    assert missing_share(("millennium", "america", "milennium", "geordia", "18000", "1999"), vocabulary) == 0.0
    assert missing_share(("boeing", "american"), vocabulary) == 0.5
    assert missing_share(("2000",), vocabulary) == 1.0  # a number one digit off is another number
    assert missing_share(("iphone",), word_set(["A phone that plays music."])) == 1.0
    assert missing_share((), vocabulary) == 0.0
