"""Follow-up questions: which earlier questions a new one leans on.

"Where did Xi and Putin meet?" then "And when?": the second names nobody, so searching with it
alone finds nothing in particular. A question that points back (he, it, there, then, ...),
opens with "and" or "what about", or has too few words of its own to search with is read
together with the questions before it, back to the last one that stood on its own. A question
that stands on its own is searched alone, so changing the subject works as expected.

A bare question word ("And when?", "Why?") is rewritten into the question before it ("when did
Xi and Putin meet?"); any other follow-up keeps its own words, and the earlier questions steer
its meaning (see `Answerer.ask`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from embeddings.keywords import terms

POINTING_WORDS = frozenset(
    {"it", "its", "he", "him", "his", "she", "her", "hers", "they", "them", "their", "theirs"}
    | {"there", "that", "this", "these", "those", "then"}
)
OPENERS = ("and", "also", "what about", "how about")
MAX_CONTEXT = 3  # earlier questions a follow-up may lean on
QUESTION_WORD = re.compile(r"(how (many|much|long|old|far|often)|what|which|who|whom|whose|when|where|why|how)\b", re.I)


def refers_back(question: str) -> bool:
    """True when `question` leans on what was asked before it."""
    lowered = question.lower().strip()
    words = re.findall(r"[^\W\d_]+", lowered)
    return (
        len(terms(question)) <= 1
        or lowered.startswith(tuple(f"{opener} " for opener in OPENERS) + tuple(f"{o}," for o in OPENERS))
        or any(word in POINTING_WORDS for word in words)
    )


def conversation_context(question: str, earlier: Sequence[str]) -> list[str]:
    """The earlier questions (oldest first) to read `question` with; empty when it stands alone."""
    if not refers_back(question):
        return []
    context: list[str] = []
    for previous in reversed(earlier):
        if not previous.strip():
            continue
        context.insert(0, previous)
        if not refers_back(previous) or len(context) == MAX_CONTEXT:
            break
    return context


def rewrite_bare_question(question: str, context: Sequence[str]) -> str | None:
    """'And when?' after 'Where did Xi and Putin meet?' gives 'when did Xi and Putin meet?'.

    Only for a follow-up with no words of its own but a question word; None otherwise.
    """
    if not context or terms(question):
        return None
    bare = re.sub(r"^(and|also|what about|how about)\b[\s,]*", "", question.strip(), flags=re.I).rstrip("?!. ")
    asked = QUESTION_WORD.fullmatch(bare)
    if asked is None:
        return None
    before = context[-1].strip()
    replaced = QUESTION_WORD.match(before)
    if replaced is None:
        return f"{asked.group(0).lower()} {before}"
    return asked.group(0).lower() + before[replaced.end() :]
