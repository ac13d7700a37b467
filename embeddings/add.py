"""Add articles by web address: `python -m embeddings.add URL... --articles DIR [--build]`.

Each page is fetched (embeddings/fetch.py), its article body kept by trafilatura, the same reader
a saved .html file goes through, and saved as a .json article under DIR/web/, where the build
reads it like any other; a PDF is saved there as it came, once its text layer reads. An RSS or
Atom feed adds the page of each of its items. An article already in the folder, by address or by
content, is skipped, and a feed item whose address is already there is not fetched again, so
adding a feed once more costs one request. Nothing half-written is ever left in the folder: an
article is written to a hidden file, then linked under a name no other file has.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

from embeddings.articles import MAX_FILE_BYTES, Article, UnreadableFile, parse_html, read_articles
from embeddings.build import DEFAULT_INDEX, build_index
from embeddings.encoder import DEFAULT_MODEL, Encoder
from embeddings.fetch import DEFAULT_TIMEOUT, Fetched, FetchFailed, fetch
from embeddings.index import BuildInProgress
from embeddings.uploads import claim_name, safe_name, unwritable_reason

WEB = "web"  # subfolder of the articles folder that pages added by address go to
NOT_AN_ARTICLE = "no article text found in the page; is it an article?"
# Less body text than this is what trafilatura keeps of a page with no article (a login form's
# heading, a menu's links), not an article: even a news brief runs to a few sentences.
MIN_ARTICLE_WORDS = 25


@dataclass(frozen=True)
class AddedAddress:
    """What became of one address or feed item: saved where, already there as what, or why not."""

    url: str
    saved: Path | None = None
    title: str = ""
    paragraphs: int = 0
    reason: str = ""  # why it failed
    existing: str = ""  # when skipped: the folder-relative path of the article already there

    @property
    def failed(self) -> bool:
        """Neither added nor already there: the one outcome that makes the command exit 1."""
        return self.saved is None and not self.existing

    def __str__(self) -> str:
        if self.saved is not None:
            count = f"{self.paragraphs} paragraph{'' if self.paragraphs == 1 else 's'}"
            return f"added {self.saved}: “{self.title}” ({count})"
        if self.existing:
            return f"skipped {self.url}: already in the folder as {self.existing}"
        return f"failed {self.url}: {self.reason}"


def normal_url(url: str) -> str:
    """An address as compared for duplicates: scheme and host in lower case, no fragment, no trailing slash."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))


@dataclass
class FolderContents:
    """The addresses and content hashes of a folder's articles, each with its path: what adding skips."""

    urls: dict[str, str] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, articles_dir: Path) -> FolderContents:
        contents = cls()
        for item in read_articles(articles_dir):
            if isinstance(item, Article):
                contents.remember(item, item.path, item.url)
        return contents

    def remember(self, article: Article, path: str, *urls: str) -> None:
        for url in urls:
            if url:
                self.urls.setdefault(normal_url(url), path)
        self.hashes.setdefault(article.content_hash, path)

    def holding(self, article: Article) -> str:
        """The path of the article already here with the same address or content, else ""."""
        by_url = self.urls.get(normal_url(article.url)) if article.url else None
        return by_url or self.hashes.get(article.content_hash, "")


def feed_links(fetched: Fetched) -> list[str] | None:
    """The pages an RSS or Atom feed lists, in its order, each once; None when `fetched` is not a feed."""
    if not fetched.looks_like_feed():
        return None
    import feedparser

    # A stream, never the address (feedparser would fetch it) nor bytes (it tries them as a file name).
    feed = feedparser.parse(io.BytesIO(fetched.body), response_headers={"content-location": fetched.url})
    if not feed.version:
        return None
    links: dict[str, str] = {}
    for entry in feed.entries:
        if entry.get("link"):
            link = urljoin(fetched.url, entry["link"])
            links.setdefault(normal_url(link), link)
    return list(links.values())


def article_json(article: Article) -> bytes:
    """`article` as the .json record the build reads, its address and byline kept."""
    record = {
        "title": article.title,
        "paragraphs": list(article.paragraphs),
        "url": article.url,
        "date": article.date,
        "author": article.author,
        "source": article.source,
    }
    return (json.dumps(record, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def save_file(articles_dir: Path, name: str, data: bytes) -> Path:
    """Write `data` as `articles_dir/web/<name>` under a name no file has: staged in a hidden file, then
    linked, so the folder never holds half of it."""
    folder = articles_dir / WEB
    folder.mkdir(parents=True, exist_ok=True)
    staged: Path | None = None
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".add-", suffix=Path(name).suffix, delete=False) as handle:
            staged = Path(handle.name)
            handle.write(data)
        return claim_name(staged, safe_name(name))
    finally:
        if staged is not None:
            staged.unlink(missing_ok=True)


def add_each(
    urls: Sequence[str],
    articles_dir: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_FILE_BYTES,
    private: bool = True,
) -> Iterator[AddedAddress]:
    """Add each address's article, or those of a feed's items, to `articles_dir/web/`: one result per page.

    Each result comes as soon as it is known, so a long run (a feed of many pages) shows its progress.
    Without `private`, addresses on this machine or its private network are refused (a shared page).
    """
    contents = FolderContents.read(articles_dir)
    get = partial(fetch, timeout=timeout, max_bytes=max_bytes, private=private)
    for url in urls:
        yield from _add(url, articles_dir, contents, get, feeds=True)


def add_addresses(
    urls: Sequence[str],
    articles_dir: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_FILE_BYTES,
    private: bool = True,
) -> list[AddedAddress]:
    """`add_each`, all at once."""
    return list(add_each(urls, articles_dir, timeout=timeout, max_bytes=max_bytes, private=private))


def _add(
    url: str, articles_dir: Path, contents: FolderContents, get: Callable[[str], Fetched], *, feeds: bool
) -> Iterator[AddedAddress]:
    """One address: skipped unfetched if its address is known, else fetched (`get`: `fetch` with its
    limits) and kept; a feed's items in turn."""
    if existing := contents.urls.get(normal_url(url)):
        yield AddedAddress(url, existing=existing)
        return
    try:
        fetched = get(url)
    except FetchFailed as error:
        yield AddedAddress(url, reason=str(error))
        return
    links = feed_links(fetched) if feeds else None
    if links is None:
        yield _keep_page(url, fetched, articles_dir, contents)
    elif not links:
        yield AddedAddress(url, reason="the feed lists no pages")
    else:
        for link in links:  # a feed's items are pages: a feed listed in a feed is not followed
            yield from _add(link, articles_dir, contents, get, feeds=False)


def _keep_page(url: str, fetched: Fetched, articles_dir: Path, contents: FolderContents) -> AddedAddress:
    """Save the article in a fetched page unless the folder has it already."""
    if existing := contents.urls.get(normal_url(fetched.url)):  # redirected to an article already here
        return AddedAddress(url, existing=existing)
    if fetched.media_type == "application/pdf":
        return _keep_pdf(url, fetched, articles_dir, contents)
    if not fetched.looks_like_page():
        return AddedAddress(url, reason=f"it is {fetched.media_type}, not a web page")
    try:
        article = parse_html(fetched.text(), article_id=fetched.url, path=fetched.url)
    except UnreadableFile:
        return AddedAddress(url, reason=NOT_AN_ARTICLE)
    if sum(len(paragraph.split()) for paragraph in article.paragraphs) < MIN_ARTICLE_WORDS:
        return AddedAddress(url, reason=NOT_AN_ARTICLE)
    article = replace(article, url=article.url or fetched.url)
    saving = (f"{article.title}.json", article_json(article))
    return _keep_new(url, article, saving, articles_dir, contents, article.url, fetched.url)


def _keep_pdf(url: str, fetched: Fetched, articles_dir: Path, contents: FolderContents) -> AddedAddress:
    """Save a PDF as it came, as `web/<title>.pdf`, once its text layer has been read as an article:
    the build reads it as any PDF in the folder (the file keeps no address; a copy is known by content)."""
    from embeddings.pdf import parse_pdf  # pdfium only when a PDF comes

    try:
        article = parse_pdf(fetched.body, article_id=fetched.url, path=fetched.url)
    except UnreadableFile as error:
        return AddedAddress(url, reason=str(error))
    return _keep_new(url, article, (f"{article.title}.pdf", fetched.body), articles_dir, contents, fetched.url)


def _keep_new(
    url: str,
    article: Article,
    saving: tuple[str, bytes],
    articles_dir: Path,
    contents: FolderContents,
    *addresses: str,
) -> AddedAddress:
    """Save `saving` (a file's name and bytes) as `article` unless the folder holds it already, by
    content or address, and remember it under `addresses` and `url`."""
    if existing := contents.holding(article):
        return AddedAddress(url, existing=existing)
    try:
        saved = save_file(articles_dir, *saving)
    except OSError as error:
        return AddedAddress(url, reason=f"it cannot be saved: {unwritable_reason(error)}")
    contents.remember(article, saved.relative_to(articles_dir).as_posix(), *addresses, url)
    return AddedAddress(url, saved, article.title, len(article.paragraphs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m embeddings.add", description=__doc__.splitlines()[0])
    parser.add_argument("urls", nargs="+", metavar="URL", help="the address of a page, or of an RSS or Atom feed")
    parser.add_argument(
        "--articles",
        type=Path,
        required=True,
        metavar="DIR",
        help=f"articles folder; pages are saved in its {WEB}/ subfolder",
    )
    parser.add_argument("--build", action="store_true", help="update the index with them afterwards")
    parser.add_argument(
        "--index", type=Path, metavar="DIR", default=DEFAULT_INDEX, help="index folder for --build (default: index)"
    )
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, help=f"seconds for each page (default: {DEFAULT_TIMEOUT:g})"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars while building")
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error("--timeout must be more than 0 seconds")
    try:
        args.articles.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        in_the_way = isinstance(error, (FileExistsError, NotADirectoryError))
        reason = "a file is in the way" if in_the_way else unwritable_reason(error)
        print(f"error: cannot create the articles folder {args.articles}: {reason}; pass another", file=sys.stderr)
        return 2
    failed = False
    for result in add_each(args.urls, args.articles, timeout=args.timeout):
        print(result, flush=True)
        failed = failed or result.failed
    if args.build:
        try:
            report = build_index(
                args.articles,
                args.index,
                encoder=Encoder(DEFAULT_MODEL),
                progress=not args.quiet,
                log=lambda line: print(line, file=sys.stderr),
            )
        except (BuildInProgress, FileNotFoundError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(report.summary())
        if report.undo:
            print(report.undo_line())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
