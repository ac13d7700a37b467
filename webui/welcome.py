"""The first screen's example questions, drawn from the library itself: fixed questions would ask
about articles a reader's own folder does not hold.

Each of the newest articles gives one question from its title; when the library holds fewer
articles than that, the first article's opening sentences give more, about the names they mention
("What is said about Putin and China?").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from embeddings.store import StoredParagraph
from qa.library import LibraryEntry

EXAMPLES = 3
# Putin, Vladimir Putin, Winter Olympics: capitalised words after a space, a quote or a bracket
NAME = re.compile(r"(?<![^\s\u201c\"(])[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*\b")
DEMONYM = re.compile(r"[A-Z][a-z]+(ian|ese|ish)")  # Russian, Chinese, British: not whom a question is about
NOT_NAMES = frozenset(
    {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
    | {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October"}
    | {"November", "December", "The", "This", "That", "These", "Those", "However", "But", "And"}
)


def names_in(sentence: str) -> list[str]:
    """The capitalised names in `sentence` after its first word, each once, in order."""
    names: list[str] = []
    for found in NAME.finditer(sentence):
        name = found.group(0)
        if found.start() > 0 and name not in NOT_NAMES and not DEMONYM.fullmatch(name) and name not in names:
            names.append(name)
    return names


def first_sentence(paragraph: StoredParagraph) -> str:
    if not paragraph.sentence_spans:
        return paragraph.text
    start, end = paragraph.sentence_spans[0]
    return paragraph.text[start:end]


def example_questions(newest: Sequence[LibraryEntry], opening: Sequence[StoredParagraph]) -> list[str]:
    """Up to `EXAMPLES` questions: one per title of `newest`, then from the names in the first
    sentences of `opening` (the paragraphs of the newest article) while there are too few."""
    questions = [f"What is “{entry.title}” about?" for entry in newest[:EXAMPLES]]
    for paragraph in opening:
        if len(questions) == EXAMPLES:
            break
        names = names_in(first_sentence(paragraph))
        if len(names) >= 2:
            question = f"What is said about {names[0]} and {names[1]}?"
            if question not in questions:
                questions.append(question)
    return questions


def newest_first(entries: Sequence[LibraryEntry]) -> list[LibraryEntry]:
    """The articles, the most recently dated first; undated ones after, in index order (newest added last)."""
    dated = sorted((e for e in entries if e.date), key=lambda e: e.date, reverse=True)
    return dated + [e for e in reversed(entries) if not e.date]
