"""Adding articles by web address: pages and feeds from a local server, each kept once, failures said in one line."""

from __future__ import annotations

import errno
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from embeddings import add
from embeddings.add import WEB, add_addresses, main
from embeddings.articles import Article, read_articles
from embeddings.fetch import fetch, private_host
from tests.conftest import StandInEncoder, quiet_build
from tests.pdfs import article_html, print_pdf
from tests.site import Route, Site, news_page, serving

FURNITURE = (
    "Home",
    "Weather",
    "Subscribe now",
    "We use cookies",
    "Accept all",
    "Related stories",
    "Storm warning for the weekend",
    "All rights reserved",
    "Privacy policy",
)


BRIDGE = [
    "The harbour bridge reopened to traffic on Tuesday morning after eight months of repairs to its steel cables,"
    " the city council said.",
    "Engineers replaced 140 corroded cable strands and repainted the main span, a project that cost 42 million"
    " euros and ran two weeks ahead of schedule.",
    "Commuters who had faced detours of up to forty minutes welcomed the reopening at a small ceremony on the"
    " northern approach.",
    "The ferry service that replaced the crossing during the works will end on Friday, the harbour authority said"
    " in a statement.",
]


def town_page(town: str) -> bytes:
    return news_page(
        f"{town} opens a new library",
        [
            f"The town of {town} opened a public library on its market square this week, the mayor announced.",
            f"The {town} library lends books, maps and old newspapers about the river valley to anyone who asks.",
            f"Volunteers in {town} will run reading hours for children every Saturday morning from next month.",
        ],
    )


LOGIN_PAGE = b"""<!doctype html><html><head><title>Sign in | Coastal Herald</title></head><body>
<nav><a href="/">Home</a> <a href="/sport">Sport</a> <a href="/weather">Weather</a></nav>
<form action="/login" method="post"><label>Email <input name="email"></label>
<label>Password <input type="password" name="password"></label><button>Sign in</button></form>
</body></html>"""
SIGN_IN_PAGE = b"""<!doctype html><html><head><title>Sign in | Coastal Herald</title></head><body>
<nav><a href="/">Home</a> <a href="/sport">Sport</a> <a href="/weather">Weather</a> <a href="/culture">Culture</a></nav>
<header><div class="logo">Coastal Herald</div></header>
<main><h1>Sign in to your account</h1>
<form action="/login" method="post"><label>Email <input name="email"></label>
<label>Password <input type="password" name="password"></label><button>Sign in</button>
<p><a href="/forgot">Forgot your password?</a> New here? <a href="/register">Create an account</a> to read every
story.</p></form></main>
<footer><p>\xc2\xa9 2024 Coastal Herald. All rights reserved.</p><a href="/privacy">Privacy policy</a></footer>
</body></html>"""


def rss(site: Site, paths: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Item {n}</title><link>{site.url(path)}</link><guid>{path}</guid></item>"
        for n, path in enumerate(paths, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Coastal Herald</title>'
        f"<link>{site.url('/')}</link><description>News</description>{items}</channel></rss>"
    ).encode()


def atom(site: Site, paths: list[str]) -> bytes:
    entries = "".join(
        f'<entry><title>Entry {n}</title><link rel="alternate" href="{path}"/><id>urn:x:{n}</id>'
        "<updated>2024-03-12T08:00:00Z</updated></entry>"
        for n, path in enumerate(paths, start=1)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Valley News</title><id>urn:x:feed</id><updated>2024-03-12T08:00:00Z</updated>{entries}</feed>"
    ).encode()


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    rss_items = ["/rss/arlow", "/rss/brent", "/rss/calder"]
    atom_items = ["/atom/dunmore", "/atom/elsby"]
    with serving({}) as server:
        server.routes.update(
            {
                "/news/bridge": Route(news_page("Harbour bridge reopens after repairs", BRIDGE)),
                "/copy/bridge": Route(news_page("Harbour bridge reopens after repairs", BRIDGE)),
                "/cli/bridge": Route(news_page("Harbour bridge reopens after repairs", BRIDGE)),
                **{path: Route(town_page(path.rsplit("/", 1)[1].title())) for path in rss_items + atom_items},
                "/feed.rss": Route(rss(server, rss_items), "application/rss+xml"),
                "/atom.xml": Route(atom(server, atom_items), "text/plain"),  # a feed told by how it starts
                "/slow": Route(town_page("Fenwick"), delay=3),
                "/login": Route(LOGIN_PAGE),
                "/sign-in": Route(SIGN_IN_PAGE),
                "/big": Route(b"<p>" + b"x" * 5000 + b"</p>"),
                "/big-unsized": Route(b"<p>" + b"x" * 5000 + b"</p>", sized=False),
                "/moved": Route(b"", status=302, location="/news/bridge"),
                "/to-ftp": Route(b"", status=302, location="ftp://127.0.0.1/news/bridge"),
                "/photo.jpg": Route(b"\xff\xd8\xff\xe0" + bytes(200), "image/jpeg"),
                "/report.pdf": Route(b"%PDF-1.7\n" + bytes(200), "application/pdf"),
            }
        )
        yield server


def files_under(folder: Path) -> list[str]:
    """Every file and folder under `folder`, hidden ones too."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def articles_in(folder: Path) -> list[Article]:
    items = list(read_articles(folder))
    assert all(isinstance(item, Article) for item in items), items
    return items


def test_a_news_page_is_saved_as_its_article_without_the_furniture(site: Site, tmp_path: Path):
    [result] = add_addresses([site.url("/news/bridge")], tmp_path)
    saved = tmp_path / WEB / "Harbour-bridge-reopens-after-repairs.json"
    assert result.saved == saved
    assert str(result) == f"added {saved}: “Harbour bridge reopens after repairs” (4 paragraphs)"
    [article] = articles_in(tmp_path)
    assert article.title == "Harbour bridge reopens after repairs" and article.path == "web/" + saved.name
    assert article.paragraphs == tuple(BRIDGE)
    assert article.url == site.url("/news/bridge")
    assert (article.author, article.date, article.source) == ("Maria Lopes", "2024-03-12", "Coastal Herald")
    text = " ".join(article.paragraphs) + article.title
    assert [furniture for furniture in FURNITURE if furniture in text] == []
    assert files_under(tmp_path) == [WEB, f"{WEB}/{saved.name}"]  # no temp file left beside it
    record = json.loads(saved.read_text(encoding="utf-8"))
    assert sorted(record) == ["author", "date", "paragraphs", "source", "title", "url"]


def test_the_same_article_again_is_skipped_by_address_unfetched_or_by_content(site: Site, tmp_path: Path):
    add_addresses([site.url("/news/bridge")], tmp_path)
    fetched = site.requests["/news/bridge"]
    same_address = site.url("/news/bridge/#comments").replace("http://", "HTTP://")
    again, copy = add_addresses([same_address, site.url("/copy/bridge")], tmp_path)
    assert site.requests["/news/bridge"] == fetched  # known by its address: not fetched again
    assert (
        str(again) == f"skipped {same_address}: already in the folder as web/Harbour-bridge-reopens-after-repairs.json"
    )
    assert site.requests["/copy/bridge"] >= 1 and copy.existing == "web/Harbour-bridge-reopens-after-repairs.json"
    assert not again.failed and not copy.failed
    assert len(articles_in(tmp_path)) == 1


@pytest.mark.browser
def test_a_pdf_by_address_is_saved_as_it_came_and_read_as_its_article(site: Site, tmp_path: Path, browser):
    title = "Harbour bridge reopens after repairs"
    pdf = print_pdf(browser, article_html(title, BRIDGE, layout="one-column"), tmp_path / "printed.pdf", running=False)
    site.routes["/reports/bridge.pdf"] = Route(pdf.read_bytes(), "application/pdf")
    url = site.url("/reports/bridge.pdf")
    articles = tmp_path / "articles"
    [added] = add_addresses([url], articles)
    saved = articles / WEB / "Harbour-bridge-reopens-after-repairs.pdf"
    assert str(added) == f"added {saved}: “{title}” (4 paragraphs)"
    assert saved.read_bytes() == pdf.read_bytes() and files_under(articles) == [WEB, f"{WEB}/{saved.name}"]
    [article] = articles_in(articles)
    assert (article.title, article.paragraphs, article.path) == (title, tuple(BRIDGE), f"{WEB}/{saved.name}")
    [again] = add_addresses([url], articles)  # the file keeps no address: fetched, then known by its content
    assert again.existing == f"{WEB}/{saved.name}" and len(articles_in(articles)) == 1


@pytest.mark.parametrize(
    ("feed", "items"),
    [("/feed.rss", ["/rss/arlow", "/rss/brent", "/rss/calder"]), ("/atom.xml", ["/atom/dunmore", "/atom/elsby"])],
)
def test_a_feed_adds_each_item_page_once_and_again_adds_nothing_without_fetching_them(
    site: Site, tmp_path: Path, feed: str, items: list[str]
):
    first = add_addresses([site.url(feed)], tmp_path)
    assert [result.url for result in first] == [site.url(path) for path in items]
    assert all(result.saved for result in first), [str(result) for result in first]
    assert [site.requests[path] for path in items] == [1] * len(items)
    titles = sorted(article.title for article in articles_in(tmp_path))
    assert titles == sorted(f"{path.rsplit('/', 1)[1].title()} opens a new library" for path in items)
    second = add_addresses([site.url(feed)], tmp_path)
    assert [str(result) for result in second] == [
        f"skipped {site.url(path)}: already in the folder as {result.saved.relative_to(tmp_path).as_posix()}"
        for path, result in zip(items, first, strict=True)
    ]
    assert [site.requests[path] for path in items] == [1] * len(items) and site.requests[feed] == 2
    assert len(articles_in(tmp_path)) == len(items)


@pytest.mark.parametrize(
    ("address", "options", "reason"),
    [
        ("/missing", {}, "HTTP 404 Not Found"),
        ("/slow", {"timeout": 0.3}, "timed out after 0.3 s"),
        ("/login", {}, "no article text found in the page; is it an article?"),
        ("/sign-in", {}, "no article text found in the page; is it an article?"),
        ("/big", {"max_bytes": 1000}, "the page is 5 kB, over the 1 kB limit"),
        ("/big-unsized", {"max_bytes": 1000}, "the page is over the 1 kB limit"),
        ("/photo.jpg", {}, "it is image/jpeg, not a web page"),
        (
            "/report.pdf",
            {},
            "not a readable PDF (Failed to load document (PDFium: Data format error).); "
            "open it and save it again as PDF",
        ),
        ("/to-ftp", {}, "it redirects to ftp://127.0.0.1/news/bridge, which is not an http(s) address"),
        ("ftp://127.0.0.1/news/bridge", {}, "not an http(s) address"),
        ("file:///etc/hostname", {}, "not an http(s) address"),
        ("127.0.0.1/news/bridge", {}, "not an http(s) address"),
        ("http://127.0.0.1/news bridge", {}, "not an http(s) address"),
    ],
)
def test_an_address_that_gives_no_article_gets_its_one_line_and_writes_nothing(
    site: Site, tmp_path: Path, address: str, options: dict, reason: str
):
    url = site.url(address) if address.startswith("/") else address
    started = time.monotonic()
    [result] = add_addresses([url], tmp_path, **options)
    assert str(result) == f"failed {url}: {reason}" and result.failed and result.saved is None
    assert files_under(tmp_path) == []
    assert time.monotonic() - started < 2.5  # a time-out does not wait for the slow server


@pytest.mark.parametrize(
    ("url", "private"),
    [
        ("http://127.0.0.1:8000/news", "127.0.0.1"),
        ("http://localhost/news", "localhost"),
        ("http://[::1]/news", "::1"),
        ("http://10.0.0.7/news", "10.0.0.7"),
        ("http://192.168.1.20/news", "192.168.1.20"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),  # a cloud machine's own secrets
        ("http://93.184.215.14/news", ""),  # a public address
    ],
)
def test_private_host_names_addresses_on_this_machine_or_its_private_network(url: str, private: str):
    assert private_host(url) == private


def test_without_private_an_address_on_this_machine_is_refused_unfetched(site: Site, tmp_path: Path):
    before = sum(site.requests.values())
    [result] = add_addresses([site.url("/news/bridge")], tmp_path, private=False)
    assert result.failed and result.reason == (
        "127.0.0.1 is on this machine or its private network, which is not fetched for a shared page"
    )
    assert sum(site.requests.values()) == before and files_under(tmp_path) == []


def test_without_private_a_redirect_to_this_machine_is_refused(site: Site, tmp_path: Path, monkeypatch):
    from embeddings import fetch as fetching

    monkeypatch.setattr(fetching, "private_host", lambda url: "" if url.endswith("/moved") else "127.0.0.1")
    monkeypatch.setattr(fetching, "_is_private", lambda address: False)  # the test site passes for a public one
    moved = site.requests["/moved"]
    [result] = add_addresses([site.url("/moved")], tmp_path, private=False)  # it redirects to /news/bridge
    assert result.failed and result.reason.startswith("127.0.0.1 is on this machine or its private network")
    assert site.requests["/moved"] == moved + 1 and files_under(tmp_path) == []


def test_without_private_a_name_whose_address_changed_since_it_was_checked_is_refused(
    site: Site, tmp_path: Path, monkeypatch
):
    """DNS rebinding: the name's answer looked public when checked, then led here; what counts is
    the address connected to, and nothing is sent to it."""
    from embeddings import fetch as fetching

    monkeypatch.setattr(fetching, "private_host", lambda url: "")
    before = sum(site.requests.values())
    [result] = add_addresses([site.url("/news/bridge")], tmp_path, private=False)
    assert result.failed and result.reason == (
        "127.0.0.1 is on this machine or its private network, which is not fetched for a shared page"
    )
    assert sum(site.requests.values()) == before and files_under(tmp_path) == []


def test_an_article_that_cannot_be_saved_leaves_no_file_behind(site: Site, tmp_path: Path, monkeypatch):
    def disk_full(staged: Path, name: str) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(add, "claim_name", disk_full)
    [result] = add_addresses([site.url("/news/bridge")], tmp_path)
    assert str(result) == f"failed {site.url('/news/bridge')}: it cannot be saved: the disk is full"
    assert [p for p in tmp_path.rglob("*") if not p.is_dir()] == []


def test_fetch_reports_where_a_redirect_ended_and_what_was_sent(site: Site):
    fetched = fetch(site.url("/moved"), timeout=5, max_bytes=100_000)
    assert fetched.url == site.url("/news/bridge") and fetched.media_type == "text/html"
    assert fetched.body.startswith(b"<!doctype html>") and not fetched.looks_like_feed()


def test_the_command_prints_one_line_per_address_and_exits_1_if_any_failed(site: Site, tmp_path: Path, capsys):
    folder = tmp_path / "new" / "articles"  # created as needed
    page, missing = site.url("/cli/bridge"), site.url("/missing")
    assert main([page, missing, "--articles", str(folder)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"added {folder / WEB / 'Harbour-bridge-reopens-after-repairs.json'}:"
        " “Harbour bridge reopens after repairs” (4 paragraphs)",
        f"failed {missing}: HTTP 404 Not Found",
    ]
    assert main([page, "--articles", str(folder)]) == 0
    assert (
        capsys.readouterr().out
        == f"skipped {page}: already in the folder as web/Harbour-bridge-reopens-after-repairs.json\n"
    )


def test_the_command_refuses_an_articles_folder_it_cannot_create(site: Site, tmp_path: Path, capsys):
    (tmp_path / "file").write_text("not a folder")
    assert main([site.url("/cli/bridge"), "--articles", str(tmp_path / "file" / "articles")]) == 2
    error = f"error: cannot create the articles folder {tmp_path / 'file' / 'articles'}: a file is in the way"
    assert capsys.readouterr().err.startswith(error)
    with pytest.raises(SystemExit) as usage:
        main(["--articles", str(tmp_path)])
    assert usage.value.code == 2


def test_the_command_builds_the_index_with_the_added_articles(
    site: Site, tmp_path: Path, capsys, monkeypatch, stand_in: StandInEncoder
):
    monkeypatch.setattr(add, "Encoder", lambda model: stand_in)  # the build's own code, without the model
    folder, index = tmp_path / "articles", tmp_path / "index"
    assert main([site.url("/cli/bridge"), "--articles", str(folder), "--build", "--index", str(index), "--quiet"]) == 0
    added, summary = capsys.readouterr().out.splitlines()
    assert added.startswith("added ") and summary.startswith("indexed 1 articles, 4 paragraphs")
    assert quiet_build(folder, index, stand_in).up_to_date
