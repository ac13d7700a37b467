"""Rebuilding a large index: nothing changed, then 10 articles added, side by side in one run.

    python benchmarks/incremental_build.py

Corpora, fetched into `.cache/` and built once first (embedding them takes a while; later runs
reuse every vector): BBC News (2,225 `.txt` articles), SQuAD v1.1 dev+train (490 articles in
one `.jsonl` file) and the same SQuAD text as 20,963 one-paragraph `.txt` articles (for a folder
of more than 10,000 files; its index starts as a copy of the dev+train one, so nothing is
embedded again). For each: a no-change rebuild (median of 3), then 10 new articles (other real
news: BBC for SQuAD, SQuAD for BBC) added and built, then removed again and built. Prints the
seconds, what was embedded, how the time of adding splits into embedding and the rest, and how the
build wrote it (appended as one more segment, or compacted into one).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings.build import BuildReport, build_index
from embeddings.encoder import Encoder
from qa.datasets import CACHE, bbc_articles, load_squad
from qa.evaluate import prepare_index

ADDED = "added-by-benchmark"


def one_paragraph_articles() -> Path:
    """SQuAD dev+train, each paragraph its own `.txt` article; its index seeded from dev+train's."""
    folder = CACHE / "squad" / "articles-paragraphs"
    index = CACHE / "squad" / "index-paragraphs"
    if not folder.is_dir():
        partial = folder.with_name("articles-paragraphs.partial")
        for article in load_squad("dev") + load_squad("train"):
            for number, paragraph in enumerate(article.paragraphs, start=1):
                file = partial / article.id / f"{number:03d}.txt"
                file.parent.mkdir(parents=True, exist_ok=True)
                file.write_text(f"{article.title} ({number})\n\n{paragraph}\n", encoding="utf-8")
        partial.rename(folder)
    if not index.exists():
        shutil.copytree(CACHE / "squad" / "index-dev+train", index)
    return folder


def timed_build(articles: Path, index: Path, encoder: Encoder) -> BuildReport:
    return build_index(articles, index, encoder=encoder, progress=False, log=lambda line: None)


def main() -> int:
    encoder = Encoder()
    squad = load_squad("dev") + load_squad("train")
    prepare_index("dev+train", squad, encoder)
    corpora = {
        "BBC News": (bbc_articles(), CACHE / "bbc" / "index"),
        "SQuAD dev+train (one .jsonl)": (CACHE / "squad" / "articles-dev+train", CACHE / "squad" / "index-dev+train"),
        "SQuAD as one-paragraph files": (one_paragraph_articles(), CACHE / "squad" / "index-paragraphs"),
    }
    print(
        "| corpus | articles | paragraphs | no-change rebuild s | add 10 articles s | of which embedding s"
        " | paragraphs + sentences embedded | written as | remove them again s |"
    )
    print("|" + " --- |" * 9)
    for name, (articles, index) in corpora.items():
        shutil.rmtree(articles / ADDED, ignore_errors=True)
        first = timed_build(articles, index, encoder)  # up to date before measuring (embeds only once, ever)
        unchanged = []
        for _ in range(3):
            report = timed_build(articles, index, encoder)
            assert report.up_to_date
            unchanged.append(report.seconds)
        added = articles / ADDED
        added.mkdir()
        if name == "BBC News":
            for article in squad[:10]:
                (added / f"{article.id}.txt").write_text(
                    article.title + "\n\n" + "\n\n".join(article.paragraphs), encoding="utf-8"
                )
        else:
            for file in sorted(bbc_articles().rglob("*.txt"))[:10]:
                shutil.copy(file, added / f"bbc-{file.parent.name}-{file.name}")
        started = time.perf_counter()
        adding = timed_build(articles, index, encoder)
        add_seconds = time.perf_counter() - started
        shutil.rmtree(added)
        removing = timed_build(articles, index, encoder)
        print(
            f"| {name} | {first.articles:,} | {first.paragraphs:,} | {statistics.median(unchanged):.2f}"
            f" | {add_seconds:.1f} | {adding.embedding_seconds:.1f}"
            f" | {adding.embedded_paragraphs} + {adding.embedded_sentences}"
            f" | {f'segment {adding.segments}' if adding.appended else 'one segment'} | {removing.seconds:.1f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
