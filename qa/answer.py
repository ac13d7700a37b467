"""Ranked passages into a reply: the sentence that answers, its answer phrase marked, or an
honest "not found".

The reader (qa/reader.py) reads the question with the closest sentences of the top passages and
scores how well each answers it, marking the answer phrase. The quoted sentence is the one with
the best reading helped by its passage's rank score (its quote score); the top passages are
re-ranked by their best reading too, since a passage whose sentence answers belongs above one
that only shares words. A quote score below a calibrated threshold says "not found": the reading
alone tells answerable questions from unanswerable ones less well than with the passage's rank.
Without a reader (`reader=None`, the faster path) the sentence is chosen by its similarity to the
question and the share of the question's words it holds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from embeddings.index import Index
from qa.conversation import read_in_conversation
from qa.library import Restriction, allowed_rows
from qa.names import missing_share, question_names, word_set
from qa.ranking import FEATURE_NAMES, Mode, confidence, quote_scores, reranked_by_reading
from qa.reader import Reader, ReaderCalibration, SentenceReader
from qa.retrieve import Candidate, Retriever

MAX_QUESTION_CHARS = 1000
DEFAULT_K = 5
MAX_K = 50  # passages one reply may cite
NOT_FOUND = "I found nothing in the articles that answers this."
NOTHING_ADMITTED = "No indexed article matches the restriction; widen it to search again."
COVERAGE = FEATURE_NAMES.index("coverage")  # a candidate's share of the question's weighted words
MARKUP = re.compile(r"</?[A-Za-z][^<>]*>")  # a tag, not a comparison ("3 < 5")
EMPTY_QUESTION = "Ask a question about the articles, for example: who met whom, where, and when?"


@dataclass(frozen=True)
class AnswerWeights:
    """How the answer sentence, the re-ranking and the "not found" decision are scored.

    How many passages and sentences the reader reads were chosen by benchmarks/tune_reader.py (its
    cost against what it gains, docs/benchmarks.md); how its scores weigh is the reader's own
    `ReaderCalibration`. The similarity weights (used without a reader) by benchmarks/tune_fusion.py.
    """

    read_passages: int = 3  # the reader reads sentences of this many top passages
    sentences_per_passage: int = 3  # ... this many of each, the closest to the question by meaning and words
    lexical: float = 0.8  # without a reader: weight of the share of question words found in the sentence
    passage: float = 3.8  # without a reader: weight of the passage's fused score
    sentences_from: int = 3  # without a reader: answer sentences are looked for in this many top passages
    min_relevance: float = 0.65  # without a reader: below this, similarity plus weighted lexical share: "not found"
    context: float = 0.6  # weight of the earlier questions' vector when a follow-up is read with them


@dataclass(frozen=True)
class Passage:
    """A cited paragraph: where it comes from, its text, and the characters to highlight."""

    article: str
    title: str
    paragraph: int  # 1-based, as the article shows it
    text: str
    score: float
    highlight: tuple[int, int] | None = None  # the sentence this passage is cited for
    phrase: tuple[int, int] | None = None  # on the quoted passage: the answer phrase, inside `highlight`
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
    answer_span: tuple[int, int] | None = None  # characters of the answer phrase in `answer`

    def to_json(self) -> dict:
        """The shape `qa.ask --json` prints and the API returns."""
        return {
            "question": self.question,
            "answer": self.answer,
            "answer_span": list(self.answer_span) if self.answer_span else None,
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
                    **({"phrase": list(p.phrase)} if p.phrase else {}),
                    **{k: v for k, v in asdict(p).items() if k in ("url", "date", "source") and v},
                }
                for p in self.passages
            ],
        }


@dataclass(frozen=True)
class ReadPassage:
    """A candidate as the answer sees it: its (re-ranked) score, the sentence it is cited for,
    and how well that sentence answers."""

    candidate: Candidate
    score: float
    sentence: int | None  # index into the paragraph's sentences; None for a paragraph without any
    answer_score: float  # ranks the sentences to quote across passages (-inf: not to be quoted)
    relevance: float  # compared with the "not found" threshold
    phrase: tuple[int, int] | None = None  # the answer phrase's characters in the paragraph


def clean_question(raw: str) -> tuple[str, tuple[str, ...]]:
    """The question without control characters or runs of space, cut to the length limit."""
    text = "".join(" " if unicodedata.category(c).startswith("C") else c for c in raw)
    text = " ".join(text.split())
    if len(text) > MAX_QUESTION_CHARS:
        cut = f"Your question was cut to its first {MAX_QUESTION_CHARS} characters (of {len(text)})."
        return text[:MAX_QUESTION_CHARS], (cut,)
    return text, ()


def without_markup(text: str) -> str:
    """The text with HTML-like tags taken out: a pasted "<b>Where</b> did..." is searched and read as words."""
    return " ".join(MARKUP.sub(" ", text).split()) or text


def closeness(candidate: Candidate, weights: AnswerWeights) -> np.ndarray:
    """Each of the candidate's sentences by its similarity to the question, in meaning and words."""
    return candidate.sentence_similarity + weights.lexical * candidate.sentence_coverage


def closest_sentences(candidate: Candidate, weights: AnswerWeights, count: int) -> np.ndarray:
    """The candidate's `count` sentences closest to the question, closest first: the ones worth reading."""
    return np.argsort(-closeness(candidate, weights), kind="stable")[:count]


def by_similarity(candidates: Sequence[Candidate], weights: AnswerWeights) -> list[ReadPassage]:
    """Without a reader: each passage's sentence most similar to the question, by meaning and words."""
    read = []
    for position, candidate in enumerate(candidates):
        scores = closeness(candidate, weights)
        if not len(scores):
            read.append(ReadPassage(candidate, candidate.score, None, -np.inf, -np.inf))
            continue
        top = int(np.argmax(scores))
        quotable = position < weights.sentences_from
        answer_score = float(scores[top]) + weights.passage * candidate.score if quotable else -np.inf
        read.append(ReadPassage(candidate, candidate.score, top, answer_score, float(scores[top])))
    return read


def by_reading(
    question: str,
    candidates: Sequence[Candidate],
    reader: SentenceReader,
    weights: AnswerWeights,
    calibration: ReaderCalibration,
    missing_names: np.ndarray | None = None,
) -> list[ReadPassage]:
    """The reader reads the closest sentences of the top passages (reading costs about 5 ms a
    sentence); those passages are re-ranked by their best reading, and the rest keep their
    similarity choice (they are cited, never quoted). `missing_names`, per candidate read, is the
    share of the question's names its article lacks (`names_missing`), for "not found"."""
    numbers = [n for n in range(min(weights.read_passages, len(candidates))) if candidates[n].paragraph.sentence_spans]
    sentences = [
        (n, int(i), candidates[n].paragraph.sentence_spans[i])
        for n in numbers
        for i in np.sort(closest_sentences(candidates[n], weights, weights.sentences_per_passage))
    ]
    readings = reader.read(
        question,
        [candidates[n].paragraph.text[a:b] for n, _, (a, b) in sentences],
        titles=[candidates[n].paragraph.title for n, _, _ in sentences],
    )
    tops = [max((j for j, s in enumerate(sentences) if s[0] == n), key=lambda j: readings[j].score) for n in numbers]
    best = np.array([readings[j].score for j in tops])
    fused = np.array([candidates[n].score for n in numbers])
    coverage = np.array([candidates[n].features[COVERAGE] for n in numbers])
    quote = quote_scores(best, fused, calibration.reading_passage)
    read = []
    for j, score, answer_score, sure in zip(
        tops,
        reranked_by_reading(fused, best, calibration.rerank),
        quote,
        confidence(
            quote,
            coverage,
            calibration.coverage,
            0.0 if missing_names is None else missing_names[numbers],
            calibration.names,
        ),
        strict=True,
    ):
        (n, i, (start, _)), reading = sentences[j], readings[j]
        phrase = (start + reading.span[0], start + reading.span[1])
        read.append(ReadPassage(candidates[n], float(score), i, float(answer_score), float(sure), phrase))
    read.sort(key=lambda r: -r.score)
    rest = [c for n, c in enumerate(candidates) if n not in numbers]
    return read + [replace(r, answer_score=-np.inf) for r in by_similarity(rest, weights)]


def names_missing(question: str, candidates: Sequence[Candidate], index: Index) -> np.ndarray:
    """Per candidate, the share of the question's names and numbers (`qa.names`) that its article,
    title included, never mentions."""
    names = question_names(question)
    shares: dict[str, float] = {}
    for candidate in candidates if names else ():
        article_id = candidate.paragraph.article_id
        if article_id not in shares:
            entry = index.article(article_id)
            paragraphs = [candidate.paragraph] if entry is None else index.paragraphs(entry.paragraph_rows)
            texts = [candidate.paragraph.title, *(paragraph.text for paragraph in paragraphs)]
            shares[article_id] = missing_share(names, word_set(texts))
    return np.array([shares.get(c.paragraph.article_id, 0.0) for c in candidates])


def compose_reply(
    question: str, read: Sequence[ReadPassage], *, min_relevance: float, notes: tuple[str, ...] = ()
) -> Reply:
    """The reply quoting the best-scoring sentence, or "not found" when it answers too poorly."""
    passages = []
    for r in read:
        paragraph = r.candidate.paragraph
        passages.append(
            Passage(
                article=paragraph.article_id,
                title=paragraph.title,
                paragraph=paragraph.number,
                text=paragraph.text,
                score=float(r.score),
                highlight=None if r.sentence is None else paragraph.sentence_spans[r.sentence],
                part=paragraph.part,
                url=paragraph.url,
                date=paragraph.date,
                source=paragraph.source,
            )
        )
    quotable = [i for i, r in enumerate(read) if np.isfinite(r.answer_score)]
    position = max(quotable, key=lambda i: read[i].answer_score, default=None)
    if position is None or read[position].relevance < min_relevance:
        return Reply(question=question, answer=NOT_FOUND, found=False, passages=tuple(passages), notes=notes)
    start, end = passages[position].highlight  # the quoted sentence is its passage's highlight
    phrase = read[position].phrase
    if phrase is not None:
        passages[position] = replace(passages[position], phrase=phrase)
    return Reply(
        question=question,
        answer=passages[position].text[start:end],
        found=True,
        passages=tuple(passages),
        answer_passage=position,
        notes=notes,
        answer_span=None if phrase is None else (phrase[0] - start, phrase[1] - start),
    )


@dataclass
class Answerer:
    """The whole answering path the chat, the command line, the API and the evaluation share."""

    retriever: Retriever
    weights: AnswerWeights = field(default_factory=AnswerWeights)
    reader: SentenceReader | None = field(default_factory=Reader)  # None: choose sentences by similarity alone

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
        index = self.retriever.current_index()  # one generation for the whole question
        if restriction:
            chosen = (index.article(article_id) for article_id in restriction.articles)
            titles = {entry.article.id: entry.article.title for entry in chosen if entry is not None}
            notes = (*notes, restriction.describe(titles))
            admitted = allowed_rows(index, restriction)
            allowed = admitted if allowed is None else allowed & admitted
            if not allowed.any():
                return Reply(question=cleaned, answer=NOTHING_ADMITTED, found=False, notes=notes)
        reading = read_in_conversation(cleaned, [clean_question(q)[0] for q in earlier])
        searched = without_markup(reading.searched)
        if searched != cleaned:  # markup taken out, or a bare question word filled in from the question before
            question_vector = None
        elif reading.context:  # the earlier questions steer the meaning (vector); the words searched stay the new ones
            own, before = self.retriever.encoder.encode([cleaned, " ".join(reading.context)])
            mixed = (own if question_vector is None else question_vector) + self.weights.context * before
            question_vector = mixed / np.linalg.norm(mixed)
        if reading.note:
            notes = (*notes, reading.note)
        candidates = self.retriever.search(
            searched, k=k, mode=mode, question_vector=question_vector, allowed=allowed, index=index
        )
        if self.reader is None:
            read, threshold = by_similarity(candidates, self.weights), self.weights.min_relevance
        else:
            calibration = self.reader.calibration
            read_ones = candidates[: self.weights.read_passages]
            missing = names_missing(searched, read_ones, index) if calibration.names else None
            read = by_reading(searched, candidates, self.reader, self.weights, calibration, missing)
            threshold = calibration.min_quote
        return compose_reply(cleaned, read, min_relevance=threshold, notes=notes)
