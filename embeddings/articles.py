"""Reading article files into `Article` records.

One reader per format; each returns articles with a stable id, a title, body paragraphs and
whatever metadata the file carries. A file that cannot be read raises `UnreadableFile` with a
one-line reason, so the build can skip it, say why, and keep every other article.

Page furniture rules (plain text and Markdown), applied in order:
1. The first non-empty line is the title; a block that repeats the title is dropped.
2. A block whose first line is a furniture heading ("Top stories", "Partner news", "Related
   articles", "Read more", "Most read", "Advertisement", ...) ends the article: it and every
   line after it (the teaser lines under such headings) are dropped.
3. A block made only of rule characters ("---", "***", "___") is dropped.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".pdf")
MAX_FILE_BYTES = 20_000_000

FURNITURE_HEADINGS = frozenset(
    {
        "top stories",
        "partner news",
        "related",
        "related articles",
        "related stories",
        "read more",
        "read also",
        "more stories",
        "most read",
        "most popular",
        "advertisement",
        "share this article",
        "recommended",
    }
)
_RULE_LINE = re.compile(r"^\s*([-*_=])\1{2,}\s*$")
_BLANK_LINES = re.compile(r"\n\s*\n")


class UnreadableFile(Exception):
    """A file (or a record in it) that cannot become an article; the message says why."""


@dataclass(frozen=True)
class Article:
    """One article: what the index stores about it besides its paragraphs' vectors."""

    id: str
    title: str
    paragraphs: tuple[str, ...]
    path: str
    url: str = ""
    date: str = ""
    author: str = ""
    source: str = ""
    pages: tuple[int, ...] = ()  # the page each paragraph starts on, for articles read from PDFs
    content_hash: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.content_hash:
            digest = hashlib.sha1("\n\n".join((self.title, *self.paragraphs)).encode("utf-8"))
            object.__setattr__(self, "content_hash", digest.hexdigest())


def normalise_space(text: str) -> str:
    """Collapse runs of white space (hard-wrapped lines, tabs, NBSP) into single spaces."""
    return " ".join(text.split())


def raw_blocks(text: str) -> list[str]:
    """Blocks separated by blank lines, lines kept, empty blocks dropped."""
    return [b.strip() for b in _BLANK_LINES.split(text.replace("\r\n", "\n")) if b.strip()]


def split_blocks(text: str) -> list[str]:
    """Blocks separated by blank lines, each folded to one line."""
    return [normalise_space(b) for b in raw_blocks(text)]


def decode_text(raw: bytes) -> str:
    """Decode file bytes: UTF-8 (with or without BOM), UTF-16 with a BOM, else Latin-1.

    Bytes with NUL characters and no UTF-16 BOM are binary, not text.
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as error:
            raise UnreadableFile(f"broken UTF-16 text ({error.reason})") from None
    if b"\x00" in raw[:8192]:
        raise UnreadableFile("binary data, not text; remove it or save it as UTF-8 text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def is_furniture_heading(line: str) -> bool:
    """Rule 2: a line such as "Top stories" or "Partner news:" that starts page furniture."""
    return normalise_space(line).lower().rstrip(":") in FURNITURE_HEADINGS


def body_paragraphs(blocks: list[str], title: str) -> tuple[str, ...]:
    """Apply the furniture rules of the module docstring to the raw blocks after the title."""
    body: list[str] = []
    for block in blocks:
        paragraph = normalise_space(block)
        if paragraph == title and not body:
            continue
        if is_furniture_heading(block.splitlines()[0]):
            break
        if not _RULE_LINE.match(paragraph):
            body.append(paragraph)
    return tuple(body)


def parse_plain_text(text: str, *, article_id: str, path: str) -> Article:
    """The seed's shape: title line, repeated title, body blocks, then furniture."""
    title, _, rest = text.strip().partition("\n")
    title = normalise_space(title)
    body = body_paragraphs(raw_blocks(rest), title)
    if not body:
        raise UnreadableFile("no body paragraphs after the title line")
    return Article(id=article_id, title=title, paragraphs=body, path=path)


_MD_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1")


def _markdown_inline_to_text(block: str) -> str:
    block = _MD_IMAGE.sub(r"\1", block)
    block = _MD_LINK.sub(r"\1", block)
    return _MD_EMPHASIS.sub(r"\2", block)


def parse_markdown(text: str, *, article_id: str, path: str) -> Article:
    """Markdown: optional front matter (title, date, author, source, url), `#` title or first line."""
    meta: dict[str, str] = {}
    front = _MD_FRONT_MATTER.match(text)
    if front:
        for line in front.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                meta[key.strip().lower()] = value.strip().strip("\"'")
        text = text[front.end() :]
    blocks = raw_blocks(text)
    title = meta.get("title", "")
    if not title and blocks:
        title = normalise_space(_MD_HEADING.sub("", blocks.pop(0)))
    cleaned = [_markdown_inline_to_text(_MD_HEADING.sub("", b)) for b in blocks]
    body = body_paragraphs(cleaned, title)
    if not body:
        raise UnreadableFile("no body paragraphs after the title")
    return Article(
        id=article_id,
        title=_markdown_inline_to_text(title),
        paragraphs=body,
        path=path,
        url=meta.get("url", ""),
        date=meta.get("date", ""),
        author=meta.get("author", ""),
        source=meta.get("source", ""),
    )


def parse_html(text: str, *, article_id: str, path: str) -> Article:
    """News-page HTML through trafilatura: boilerplate, scripts and navigation dropped."""
    import trafilatura

    document = trafilatura.bare_extraction(
        text, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    body_text = document.text if document is not None else ""
    if not body_text:
        raise UnreadableFile("no article text found in the HTML")
    lines = [p for p in (normalise_space(line) for line in body_text.splitlines()) if p]
    title = normalise_space(document.title or "") or lines[0]
    paragraphs = body_paragraphs(lines, title)
    if not paragraphs:
        raise UnreadableFile("no article text found in the HTML")
    return Article(
        id=article_id,
        title=title,
        paragraphs=paragraphs,
        path=path,
        url=document.url or "",
        date=document.date or "",
        author=document.author or "",
        source=document.sitename or "",
    )


def article_from_record(record: object, *, fallback_id: str, path: str) -> Article:
    """A JSON record with `title` and `text` or `paragraphs`; optional id, url, date, source."""
    if not isinstance(record, dict):
        raise UnreadableFile("a record is not a JSON object")
    title = normalise_space(str(record.get("title") or ""))
    if isinstance(record.get("paragraphs"), list):
        paragraphs = tuple(p for p in (normalise_space(str(x)) for x in record["paragraphs"]) if p)
    elif isinstance(record.get("text"), str):
        text = record["text"]
        paragraphs = tuple(
            split_blocks(text) if _BLANK_LINES.search(text) else split_blocks(text.replace("\n", "\n\n"))
        )
    else:
        raise UnreadableFile("a record has neither 'text' nor 'paragraphs'")
    if not paragraphs:
        raise UnreadableFile("a record has no text")
    record_id = str(record.get("id") or "") or fallback_id
    return Article(
        id=record_id,
        title=title or paragraphs[0][:80],
        paragraphs=paragraphs,
        path=path,
        url=str(record.get("url") or ""),
        date=str(record.get("date") or ""),
        author=str(record.get("author") or ""),
        source=str(record.get("source") or ""),
    )


def _record_fallback_id(path: str, record: object) -> str:
    digest = hashlib.sha1(json.dumps(record, sort_keys=True, default=str).encode("utf-8"))
    return f"{path}#{digest.hexdigest()[:12]}"


@dataclass(frozen=True)
class Skipped:
    """A file, or one record of a file, left out of the index, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"skipped {self.path}: {self.reason}"


def read_file(file: Path, *, relative_path: str) -> Iterator[Article | Skipped]:
    """All articles in one file; unreadable files or records come back as `Skipped`.

    Memory stays bounded: JSON Lines files are read a line at a time, whatever their size, and
    any other file over `MAX_FILE_BYTES` is skipped before it is read.
    """
    try:
        suffix = file.suffix.lower()
        with open(file, "rb") as handle:
            if suffix == ".jsonl" and not handle.read(2).startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                handle.seek(0)
                yield from _read_json_lines(handle, path=relative_path)
                return
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_FILE_BYTES:
                limit = MAX_FILE_BYTES // 1_000_000
                raise UnreadableFile(f"{size / 1e6:.0f} MB is over the {limit} MB limit; split it into smaller files")
            handle.seek(0)
            data = handle.read()
        if suffix == ".pdf":
            from embeddings.pdf import parse_pdf  # it reads into `Article`, so it imports this module

            yield parse_pdf(data, article_id=relative_path, path=relative_path)
            return
        text = decode_text(data)
        if suffix == ".jsonl":
            yield from _read_json_lines(io.BytesIO(text.encode("utf-8")), path=relative_path)
        elif suffix == ".json":
            yield from _read_json(text, path=relative_path)
        elif not text.strip():
            raise UnreadableFile("empty file: it holds no text")
        else:
            parser = {".md": parse_markdown, ".markdown": parse_markdown, ".html": parse_html, ".htm": parse_html}
            yield parser.get(suffix, parse_plain_text)(text, article_id=relative_path, path=relative_path)
    except UnreadableFile as error:
        yield Skipped(relative_path, str(error))
    except OSError as error:
        yield Skipped(
            relative_path, f"cannot read it ({error.strerror or error}); check that it exists and is readable"
        )


def _read_json(text: str, *, path: str) -> Iterator[Article | Skipped]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableFile(f"malformed JSON at line {error.lineno}: {error.msg}") from None
    records = data.get("articles", [data]) if isinstance(data, dict) else data
    if not isinstance(records, list):
        raise UnreadableFile('JSON must be an article object, a list of them, or {"articles": [...]}')
    for number, record in enumerate(records, start=1):
        try:
            yield article_from_record(record, fallback_id=_record_fallback_id(path, record), path=path)
        except UnreadableFile as error:
            yield Skipped(f"{path} record {number}", str(error))


def _read_json_lines(lines: Iterable[bytes], *, path: str) -> Iterator[Article | Skipped]:
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(decode_text(raw))
            yield article_from_record(record, fallback_id=_record_fallback_id(path, record), path=path)
        except json.JSONDecodeError as error:
            yield Skipped(f"{path} line {number}", f"malformed JSON: {error.msg}")
        except UnreadableFile as error:
            yield Skipped(f"{path} line {number}", str(error))


def list_article_files(folder: Path) -> Iterator[tuple[Path, str]]:
    """Supported files under `folder` in a stable order, with their folder-relative paths.

    Walks without following symbolic links to folders, so a link loop cannot trap it.
    """
    found: list[tuple[Path, str]] = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith(".") or not name.lower().endswith(SUPPORTED_SUFFIXES):
                continue
            file = Path(root) / name
            found.append((file, file.relative_to(folder).as_posix()))
    found.sort(key=lambda pair: pair[1])
    yield from found


def read_articles(folder: Path) -> Iterator[Article | Skipped]:
    """Every article under `folder`; duplicates (same id or same content) come back as `Skipped`."""
    seen_ids: set[str] = set()
    seen_content: dict[str, str] = {}
    for file, relative_path in list_article_files(folder):
        for item in read_file(file, relative_path=relative_path):
            if isinstance(item, Skipped):
                yield item
            elif item.content_hash in seen_content:
                yield Skipped(item.path, f"duplicate of {seen_content[item.content_hash]}; indexed once")
            elif item.id in seen_ids:
                yield Skipped(item.path, f"article id {item.id!r} is used twice; give each article its own id")
            else:
                seen_ids.add(item.id)
                seen_content[item.content_hash] = item.id
                yield item
