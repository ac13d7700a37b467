"""Follow-up questions: which earlier questions a new one leans on, and how it is then read.

"Where did Xi and Putin meet?" then "And when?": the second names nobody, so searching with it
alone finds nothing in particular. A question leans on the ones before it when it opens with
"and" or "what about", has too few words of its own to search with ("How old?", but not "What
is NATO?", which names its subject), or holds a word that points
back (he, it, there, these, ...) at nothing named before it in the question itself. So "Which
network broadcast it?" leans on the question before, while "When did Tesla die and where was he
buried?", which names its own subject, is read on its own: changing the subject works as expected.

A bare question word ("And when?") is filled in from the question before it: "When did Xi and
Putin meet?" where that reads as English, and otherwise searched with the earlier question's
words while the reader is shown which question it was read with. Any other follow-up keeps its
own words, and the earlier questions steer its meaning (see `Answerer.ask`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from embeddings.keywords import terms

SINGULAR_POINTERS = frozenset({"it", "its", "he", "him", "his", "she", "her", "hers", "there", "then", "this", "that"})
PLURAL_POINTERS = frozenset({"they", "them", "their", "theirs", "these", "those"})
OPENERS = ("and", "also", "what about", "how about")
MAX_CONTEXT = 3  # earlier questions a follow-up may lean on
QUESTION_WORDS = frozenset({"what", "which", "who", "whom", "whose", "when", "where", "why", "how"})
QUESTION_WORD = re.compile(r"(how (many|much|long|old|far|often)|" + "|".join(sorted(QUESTION_WORDS)) + r")\b", re.I)
AUXILIARIES = frozenset(
    {"is", "are", "was", "were", "do", "does", "did", "has", "have", "had"}
    | {"can", "could", "will", "would", "should", "may", "might", "must"}
)
# "that" points back after these ("what is that", "after that"); after a noun it starts a clause
# ("the game that decided the title") and points at the noun.
BEFORE_POINTING_THAT = QUESTION_WORDS | AUXILIARIES | {"about", "after", "before", "since", "like", "than", "of"}
WORD = re.compile("[^\\W\\d_][\\w'\u2019.-]*")


@dataclass(frozen=True)
class Reading:
    """How a question is read in its conversation.

    `searched`: the words searched (the question itself, or a bare one filled in); `context`: the
    earlier questions that steer its meaning, oldest first (empty: read on its own); `note`: what
    the reader is told about it ("" when read on its own).
    """

    searched: str
    context: tuple[str, ...] = ()
    note: str = ""


def _points_back(words: list[str], at: int) -> bool:
    """Whether the pointing word at `at` points out of the question: nothing able to take it
    (a name, or for they/them/these a plural one) comes before it after the question word, it is
    not in the second half of a double question ("What are the kinds of rock, and how do these
    form?"), and it does not open the question ahead of the name it stands for ("Under his
    treaty, what did Rollo receive?")."""
    word = words[at].lower()
    if word == "that" and at > 0 and words[at - 1].lower() not in BEFORE_POINTING_THAT and at < len(words) - 1:
        return False  # "the game that decided it": a clause about the word before
    asking = [i for i, w in enumerate(words) if w.lower() in QUESTION_WORDS]
    opening = asking[0] if asking else 0
    if any(opening < i < at for i in asking):
        return False
    if at < opening:
        return not any(w[0].isupper() for w in words[opening + 1 :])
    named = [i for i in range(opening + 1, at) if words[i][0].isupper()]  # not the capital that opens a question
    if word in PLURAL_POINTERS:  # "Verizon customers ... their", "Xi and Putin ... they"
        plural = [
            i
            for i in named
            if (i + 1 < at and words[i + 1].lower().endswith("s") and not words[i + 1][0].isupper())
            or (i + 2 < at and words[i + 1].lower() == "and" and words[i + 2][0].isupper())
        ]
        return not plural
    return not named


def refers_back(question: str) -> bool:
    """True when `question` leans on what was asked before it."""
    lowered = question.lower().strip()
    words = WORD.findall(question)
    pointers = SINGULAR_POINTERS | PLURAL_POINTERS
    own = len(terms(question))
    return (
        own == 0
        or (own == 1 and not any(word[0].isupper() for word in words[1:]))  # "How old?", not "What is NATO?"
        or lowered.startswith(tuple(f"{opener} " for opener in OPENERS) + tuple(f"{o}," for o in OPENERS))
        or any(word.lower() in pointers and _points_back(words, i) for i, word in enumerate(words))
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


def _quoted(questions: Sequence[str]) -> str:
    return " / ".join(f"“{q.strip()}”" for q in questions)


def read_in_conversation(question: str, earlier: Sequence[str]) -> Reading:
    """How to read `question` after the `earlier` questions (oldest first)."""
    context = tuple(conversation_context(question, earlier))
    if not context:
        return Reading(question)
    plural = "questions" if len(context) > 1 else "question"
    leaning = Reading(question, context, f"Read with your previous {plural}: {_quoted(context)}")
    bare = re.sub(r"^(and|also|what about|how about)\b[\s,]*", "", question.strip(), flags=re.I).rstrip("?!. ")
    asked = QUESTION_WORD.fullmatch(bare)
    if terms(question) or asked is None:
        return leaning
    before = context[-1].strip()
    replaced = QUESTION_WORD.match(before)
    if replaced is None:  # "Xi and Putin met in Beijing." then "When?"
        return Reading(f"{asked.group(0)} {before}", note=leaning.note)
    rest = before[replaced.end() :]
    filled = asked.group(0).lower() + rest
    if rest.split()[0].lower() in AUXILIARIES:  # "where did they meet" -> "when did they meet"
        return Reading(filled, note=f"Read as: “{filled[0].upper()}{filled[1:]}”")
    return Reading(filled, note=f"Read with your previous question: {_quoted([before])}")  # "who met" -> "why met"
