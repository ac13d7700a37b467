"""The names and numbers a question is about, and whether an article mentions them.

A sentence of the right kind about another subject reads as an answer ("Patrick Cescau will become
group chief executive" for "Who is the chief executive of Boeing?"): the reader sees one sentence,
not whether its article is about Boeing at all. The share of the question's names its article
never mentions is a sign that the answer is not in the articles (`qa.answer.names_missing`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

WORD = re.compile(r"[^\W\d_]+|\d[\d,.]*\d|\d")
PREFIX = 5  # letters a name shares with a word it is a form of: America, American; Beyoncé, Beyoncé's


def words(text: str) -> list[str]:
    """The words and numbers of `text` as written: hyphenated words split, numbers without commas."""
    return [token.replace(",", "") for token in WORD.findall(text)]


def question_names(question: str) -> tuple[str, ...]:
    """The question's words with a capital (after its first word: Boeing, iPhone) and its numbers of
    two digits or more, lower-cased, each once.

    Acronyms (all capitals, "TV", "PCs") are left out: an article often spells them out."""
    names: dict[str, None] = {}
    for token in words(question)[1:]:
        if token[0].isdigit():
            is_name = len(token) > 1
        else:
            is_name = len(token) > 1 and not token.islower() and not token.rstrip("s").isupper()
        if is_name:
            names.setdefault(token.lower(), None)
    return tuple(names)


def word_set(texts: Iterable[str]) -> frozenset[str]:
    """Every word of `texts`, lower-cased: what `missing_share` looks names up in."""
    return frozenset(token.lower() for text in texts for token in words(text))


def missing_share(names: Sequence[str], vocabulary: frozenset[str]) -> float:
    """The share of `names` that `vocabulary` lacks. A name is there when spelt the same, when it
    shares its first five letters with a word (America, American), or is one letter off from a word
    with its first letter (a misspelling: Milennium, Millennium; not iPhone, phone); a number only
    when spelt the same."""
    if not names:
        return 0.0
    missing = sum(not _mentions(name, vocabulary) for name in names)
    return missing / len(names)


def _mentions(name: str, vocabulary: frozenset[str]) -> bool:
    if name in vocabulary:
        return True
    if name[0].isdigit() or len(name) < PREFIX:
        return False
    stem = name[:PREFIX]
    return any(word.startswith(stem) or (word[0] == name[0] and _one_letter_apart(name, word)) for word in vocabulary)


def _one_letter_apart(a: str, b: str) -> bool:
    """One letter changed, added or dropped."""
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) != 1:
        return False
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]
