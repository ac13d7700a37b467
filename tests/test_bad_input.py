"""Bad articles: each is skipped with one line naming it and the reason; the rest is indexed.

Every row of the table is a file a newsroom might leave in its folder.
"""

from __future__ import annotations

import codecs
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from embeddings.articles import Article, Skipped, read_articles
from embeddings.build import build_index
from embeddings.encoder import Encoder, TextEncoder
from qa.retrieve import Retriever
from tests.conftest import ROOT, SEED_FILE

GOOD = "Harbour bridge reopens\n\nThe harbour bridge reopened on Tuesday after eight months of repairs.\n"


def write(name: str, data: bytes | str) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))

    return make


def symlink_loop(folder: Path) -> None:
    """A file link to itself, and a folder link back to its parent."""
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    (folder / "nested").mkdir()
    (folder / "nested" / "up").symlink_to(folder)


def huge_file(folder: Path) -> None:
    with open(folder / "huge.txt", "wb") as handle:
        line = b"A line of filler text that goes on and on.\n"
        for _ in range(100_000_000 // len(line) + 1):
            handle.write(line)


# (file maker, the path the report names, what the reason says)
SKIPPED = [
    (write("empty.txt", b""), "empty.txt", "empty file"),
    (write("blank.txt", "  \n\t\n   \n"), "blank.txt", "empty file"),
    (write("binary.txt", bytes(range(256)) * 40), "binary.txt", "binary data, not text"),
    (write("title-only.txt", "Just a title\n"), "title-only.txt", "no body paragraphs"),
    (write("broken.json", '{"title": "x", "text": '), "broken.json", "malformed JSON at line 1"),
    (write("no-text.json", '{"title": "Only a title"}'), "no-text.json record 1", "neither 'text' nor 'paragraphs'"),
    (write("mixed.jsonl", '{"title": "Good line", "text": "Fine."}\n{oops\n'), "mixed.jsonl line 2", "malformed JSON"),
    (write("scripts-only.html", "<html><script>alert(1)</script><style>p{}</style></html>"), "scripts-only.html",
     "no article text found"),
    (symlink_loop, "loop.txt", "cannot read it (Too many levels of symbolic links)"),
    (huge_file, "huge.txt", "100 MB is over the 20 MB limit; split it into smaller files"),
]  # fmt: skip

READ = [
    (write("latin1.txt", "Café société\n\nLe café a rouvert à Genève.\n".encode("latin-1")),
     "Le café a rouvert à Genève."),
    (write("utf16.txt", codecs.BOM_UTF16_LE + "Привет\n\nСтатья на русском языке.\n".encode("utf-16-le")),
     "Статья на русском языке."),
    (write("with bom.txt", codecs.BOM_UTF8 + b"Title\n\nBody with a BOM.\n"), "Body with a BOM."),
    (write("Ünïcode näme — 文章.txt", "Заголовок\n\nՀոդված հայերեն։\n"), "Հոդված հայերեն։"),
    (write("one-line.txt", "Long\n\n" + "This sentence repeats without a line break. " * 23_000), None),
]  # fmt: skip


@pytest.mark.parametrize(("make", "named", "reason"), SKIPPED, ids=[row[1] for row in SKIPPED])
def test_bad_file_is_skipped_with_one_line_naming_it_and_why(tmp_path: Path, make, named: str, reason: str):
    make(tmp_path)
    write("good.txt", GOOD)(tmp_path)
    items = list(read_articles(tmp_path))
    skipped = [str(s) for s in items if isinstance(s, Skipped)]
    assert len(skipped) == 1 and skipped[0].startswith(f"skipped {named}: ") and reason in skipped[0], skipped
    assert "\n" not in skipped[0]
    assert any(isinstance(a, Article) and a.id == "good.txt" for a in items)


@pytest.mark.parametrize(("make", "expected"), READ, ids=[row[0].__closure__[0].cell_contents for row in READ])
def test_odd_but_good_files_are_read(tmp_path: Path, make, expected: str | None):
    make(tmp_path)
    [article] = list(read_articles(tmp_path))
    assert isinstance(article, Article), article
    if expected:
        assert article.paragraphs == (expected,)
    else:  # the one-megabyte paragraph with no line break
        assert len(article.paragraphs[0]) > 1_000_000


def read_as_unprivileged_user(folder: Path) -> list[str]:
    """What `read_articles` reports, read by a process that is not root (root reads everything)."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # the child drops to 'nobody', reads, reports through the pipe, and exits
        try:
            os.setgid(65534)
            os.setuid(65534)
            lines = [str(i) if isinstance(i, Skipped) else f"article {i.id}" for i in read_articles(folder)]
            os.write(write_end, "\n".join(lines).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        output = pipe.read().decode()
    os.waitpid(child, 0)
    return output.splitlines()


def test_unreadable_file_is_skipped():
    folder = Path(tempfile.mkdtemp(prefix="article-qa-"))  # under /tmp, so 'nobody' may enter it
    folder.chmod(0o755)
    write("good.txt", GOOD)(folder)
    write("secret.txt", GOOD.replace("harbour", "river"))(folder)
    (folder / "good.txt").chmod(0o644)
    (folder / "secret.txt").chmod(0o000)
    try:
        reported = read_as_unprivileged_user(folder) if os.geteuid() == 0 else [str(i) for i in read_articles(folder)]
    finally:
        shutil.rmtree(folder)
    assert (
        reported[-1] == "skipped secret.txt: cannot read it (Permission denied); check that it exists and is readable"
    )
    assert len(reported) == 2


def test_a_file_that_vanishes_during_the_read_is_skipped(tmp_path: Path):
    write("a.txt", GOOD)(tmp_path)
    write("b.txt", GOOD.replace("harbour", "river"))(tmp_path)
    items = read_articles(tmp_path)
    first = next(items)  # the folder has been listed; now b.txt disappears
    (tmp_path / "b.txt").unlink()
    assert first.id == "a.txt"
    assert [str(i) for i in items] == [
        "skipped b.txt: cannot read it (No such file or directory); check that it exists and is readable"
    ]


def test_build_over_a_messy_folder_indexes_the_good_and_reports_each_bad_once(
    tmp_path: Path, encoder: Encoder, question_encoder: TextEncoder
):
    folder = tmp_path / "articles"
    folder.mkdir()
    for make, *_ in SKIPPED:
        if make is not huge_file:  # its own test covers it; here it would only cost time
            make(folder)
    (folder / SEED_FILE.name).write_bytes(SEED_FILE.read_bytes())
    lines: list[str] = []
    report = build_index(folder, tmp_path / "index", encoder=encoder, progress=False, log=lines.append)
    assert len(report.skipped) == len(SKIPPED) - 1 == len(lines)
    assert report.articles == 2  # the seed and the good line of mixed.jsonl
    assert "skipped 9" in report.summary()
    hits = Retriever(tmp_path / "index", encoder=question_encoder).search("Putin unprecedented ties with China", k=1)
    assert hits[0].paragraph.number == 2


@pytest.mark.slow
def test_build_exit_codes(tmp_path: Path):
    folder = tmp_path / "articles"
    folder.mkdir()
    write("empty.txt", b"")(folder)

    def build(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "embeddings.build", "--articles", str(folder), "--index", str(tmp_path / "i"),
             "--quiet", *extra],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    nothing = build()
    assert nothing.returncode == 1 and "nothing could be indexed" in nothing.stderr
    assert "skipped empty.txt: empty file: it holds no text" in nothing.stderr
    write("good.txt", GOOD)(folder)
    assert build().returncode == 0
    strict = build("--strict")
    assert strict.returncode == 1 and "skipped empty.txt" in strict.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "embeddings.build", "--articles", str(tmp_path / "nope"), "--index", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert missing.returncode == 2
    nope = tmp_path / "nope"
    assert missing.stderr.strip() == (
        f"error: articles folder {nope} does not exist; nothing changed: create it or pass --articles DIR"
    )
