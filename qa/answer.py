"""Ranked passages into a reply: the one sentence that best answers, or an honest "not found".

The answer sentence is chosen among the sentences of the top passages by its similarity to the
question, the (IDF-weighted) share of the question's words it contains, and its passage's rank
score. Sentence vectors were computed at build time, so answering costs no model work beyond
encoding the question.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from qa.conversation import conversation_context, rewrite_bare_question
from qa.library import Restriction, allowed_rows
from qa.retrieve import Candidate, Mode, Retriever

MAX_QUESTION_CHARS = 1000
DEFAULT_K = 5
MAX_K = 50  # passages one reply may cite
NOT_FOUND = "I found nothing in the articles that answers this."
NOTHING_ADMITTED = "No indexed article matches the restriction; widen it to search again."
EMPTY_QUESTION = "Ask a question about the articles, for example: who met whom, where, and when?"


@dataclass(frozen=True)
class AnswerWeights:
    """How the answer sentence and the "not found" decision are scored."""

    lexical: float = 0.8  # weight of the share of question words found in the sentence
    passage: float = 3.8  # weight of the passage's fused score
    sentences_from: int = 3  # answer sentences are looked for in this many top passages
    min_relevance: float = 0.65  # below this, similarity plus weighted lexical share: "not found"
    context: float = 0.6  # weight of the earlier questions' vector when a follow-up is read with them


@dataclass(frozen=True)
class Passage:
    """A cited paragraph: where it comes from, its text, and the characters to highlight."""

    article: str
    title: str
    paragraph: int  # 1-based, as the article shows it
    text: str
    score: float
    highlight: tuple[int, int] | None = None
    part: int = 1
    url: str = ""
    date: str = ""
    source: str = ""


@dataclass(frozen=True)
class Reply:
    """What a question gets: an answer sentence (or why there is none) and its sources."""

    question: str
    answer: str
    found: bool
    passages: tuple[Passage, ...] = ()
    answer_passage: int | None = None  # index into `passages` of the answer sentence's passage
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict:
        """The shape `qa.ask --json` prints and the API returns."""
        return {
            "question": self.question,
            "answer": self.answer,
            "found": self.found,
            "notes": list(self.notes),
            "passages": [
                {
                    "article": p.article,
                    "title": p.title,
                    "paragraph": p.paragraph,
                    "text": p.text,
                    "score": round(p.score, 4),
                    "highlight": list(p.highlight) if p.highlight else None,
                    **{k: v for k, v in asdict(p).items() if k in ("url", "date", "source") and v},
                }
                for p in self.passages
            ],
        }


def clean_question(raw: str) -> tuple[str, tuple[str, ...]]:
    """The question without control characters or runs of space, cut to the length limit."""
    text = "".join(" " if unicodedata.category(c).startswith("C") else c for c in raw)
    text = " ".join(text.split())
    if len(text) > MAX_QUESTION_CHARS:
        cut = f"Your question was cut to its first {MAX_QUESTION_CHARS} characters (of {len(text)})."
        return text[:MAX_QUESTION_CHARS], (cut,)
    return text, ()


def compose_reply(
    question: str, candidates: list[Candidate], *, weights: AnswerWeights, notes: tuple[str, ...] = ()
) -> Reply:
    """Choose the answer sentence among `candidates` and build the reply around it."""
    passages: list[Passage] = []
    best: tuple[float, float, int, tuple[int, int]] | None = None  # rank score, relevance, passage, span
    for position, candidate in enumerate(candidates):
        paragraph = candidate.paragraph
        sentence_scores = list(candidate.sentence_similarity + weights.lexical * candidate.sentence_coverage)
        highlight = None
        if sentence_scores:
            top = max(range(len(sentence_scores)), key=sentence_scores.__getitem__)
            highlight = paragraph.sentence_spans[top]
            ranked = sentence_scores[top] + weights.passage * candidate.score
            if position < weights.sentences_from and (best is None or ranked > best[0]):
                best = (ranked, sentence_scores[top], position, highlight)
        passages.append(
            Passage(
                article=paragraph.article_id,
                title=paragraph.title,
                paragraph=paragraph.number,
                text=paragraph.text,
                score=candidate.score,
                highlight=highlight,
                part=paragraph.part,
                url=paragraph.url,
                date=paragraph.date,
                source=paragraph.source,
            )
        )
    if best is None or best[1] < weights.min_relevance:
        return Reply(question=question, answer=NOT_FOUND, found=False, passages=tuple(passages), notes=notes)
    _, _, position, (start, end) = best  # the quoted sentence is its passage's highlight
    answer = passages[position].text[start:end]
    return Reply(
        question=question, answer=answer, found=True, passages=tuple(passages), answer_passage=position, notes=notes
    )


@dataclass
class Answerer:
    """The whole answering path the chat, the command line, the API and the evaluation share."""

    retriever: Retriever
    weights: AnswerWeights = field(default_factory=AnswerWeights)

    def ask(
        self,
        question: str,
        *,
        k: int = DEFAULT_K,
        mode: Mode = "hybrid",
        question_vector: np.ndarray | None = None,
        allowed: np.ndarray | None = None,
        earlier: Sequence[str] = (),
        restriction: Restriction | None = None,
    ) -> Reply:
        """Answer one question. `question_vector` lets a batch job encode many questions at once;
        `allowed` (a mask over paragraph rows) restricts the search to some articles; `earlier`
        holds the conversation's previous questions, oldest first, for follow-ups; `restriction`
        narrows the search to the articles a reader chose."""
        cleaned, notes = clean_question(question)
        if not cleaned:
            return Reply(question="", answer=EMPTY_QUESTION, found=False, notes=notes)
        k = max(1, min(int(k), MAX_K))
        if restriction:
            index = self.retriever.current_index()
            chosen = (index.article(article_id) for article_id in restriction.articles)
            titles = {entry.article.id: entry.article.title for entry in chosen if entry is not None}
            notes = (*notes, restriction.describe(titles))
            admitted = allowed_rows(index, restriction)
            allowed = admitted if allowed is None else allowed & admitted
            if not allowed.any():
                return Reply(question=cleaned, answer=NOTHING_ADMITTED, found=False, notes=notes)
        searched = cleaned
        context = conversation_context(cleaned, [clean_question(q)[0] for q in earlier])
        rewritten = rewrite_bare_question(cleaned, context)
        if rewritten:
            searched, question_vector = rewritten, None
            notes = (*notes, f"Read as: {rewritten}")
        elif context:  # the earlier questions steer the meaning (vector); the words searched stay the new ones
            own, before = self.retriever.encoder.encode([cleaned, " ".join(context)])
            mixed = (own if question_vector is None else question_vector) + self.weights.context * before
            question_vector = mixed / np.linalg.norm(mixed)
            notes = (*notes, "Read as a follow-up to: " + " / ".join(context))
        candidates = self.retriever.search(searched, k=k, mode=mode, question_vector=question_vector, allowed=allowed)
        return compose_reply(cleaned, candidates, weights=self.weights, notes=notes)
