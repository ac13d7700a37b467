"""Narrowing questions to some articles: the library listing and restrictions inside retrieval."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from embeddings.build import build_index
from embeddings.encoder import Encoder, TextEncoder
from qa.answer import NOTHING_ADMITTED, Answerer
from qa.library import LibraryEntry, Restriction, library
from qa.retrieve import Retriever
from tests.conftest import SEED_FILE

BRIDGE = """---
title: Harbour bridge reopens after repairs
date: 2022-03-01
source: Harbour Times
---
The harbour bridge reopened to traffic on Tuesday after eight months of repairs to its steel cables.

Engineers replaced 140 corroded cable strands and repainted the main span.

The ferry service that replaced the crossing will end on Friday.
"""


@pytest.fixture(scope="module")
def two_article_answerer(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder, question_encoder: TextEncoder):
    folder = tmp_path_factory.mktemp("library")
    articles = folder / "articles"
    articles.mkdir()
    (articles / SEED_FILE.name).write_bytes(SEED_FILE.read_bytes())
    (articles / "bridge.md").write_text(BRIDGE, encoding="utf-8")
    build_index(articles, folder / "index", encoder=encoder, progress=False, log=lambda line: None)
    return Answerer(Retriever(folder / "index", encoder=question_encoder))


def test_the_library_lists_every_article_with_its_details(two_article_answerer: Answerer):
    entries = library(two_article_answerer.retriever.current_index())
    bridge = LibraryEntry("bridge.md", "Harbour bridge reopens after repairs", "Harbour Times", "2022-03-01", 3)
    assert bridge in entries
    assert [e.id for e in entries] == ["000_b2141a6b3a7ab43c.txt", "bridge.md"]
    assert entries[0].paragraphs == 8


@pytest.mark.parametrize(
    "restriction",
    [
        Restriction(articles=("bridge.md",)),
        Restriction(source="harbour times"),
        Restriction(date_from="2022-03"),
        Restriction(date_from="2022-01-01", date_to="2022-12-31"),
    ],
)
def test_a_restricted_question_gets_k_passages_from_the_chosen_articles(
    two_article_answerer: Answerer, restriction: Restriction
):
    question = "What did Putin call his country's ties with China?"  # answered by the seed, not the bridge
    assert two_article_answerer.ask(question, k=3).passages[0].article == SEED_FILE.name
    reply = two_article_answerer.ask(question, k=3, restriction=restriction)
    assert [p.article for p in reply.passages] == ["bridge.md"] * 3
    assert reply.notes[-1].startswith("Searching only")


def test_the_restriction_is_described_and_an_empty_one_says_so(two_article_answerer: Answerer):
    reply = two_article_answerer.ask("Who replaced the cables?", restriction=Restriction(articles=("bridge.md",)))
    assert reply.notes == ("Searching only article “Harbour bridge reopens after repairs”",)
    nothing = two_article_answerer.ask("Who replaced the cables?", restriction=Restriction(date_to="1999"))
    assert (nothing.answer, nothing.found, nothing.passages) == (NOTHING_ADMITTED, False, ())
    assert not Restriction() and Restriction(source="x")


def test_an_undated_article_is_left_out_by_a_date_bound(two_article_answerer: Answerer):
    reply = two_article_answerer.ask("Where did Xi and Putin meet?", k=5, restriction=Restriction(date_to="2030"))
    assert {p.article for p in reply.passages} == {"bridge.md"}


def test_an_article_id_not_in_the_index_restricts_to_nothing(two_article_answerer: Answerer):
    reply = two_article_answerer.ask("Where did Xi and Putin meet?", restriction=Restriction(articles=("gone.txt",)))
    assert reply.answer == NOTHING_ADMITTED


@contextmanager
def chat_page(browser, answerer: Answerer) -> Iterator:
    """A browser page (1280 by 800) on a chat served over `answerer`; both closed afterwards."""
    from tests.conftest import free_port
    from webui.server import serve

    server = serve(answerer, port=free_port(), block=False)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(server.url)
        yield page
    finally:
        context.close()
        server.close()


@pytest.mark.browser
def test_a_reader_narrows_the_chat_to_one_article_in_the_browser(browser, two_article_answerer: Answerer):
    from playwright.sync_api import expect

    with chat_page(browser, two_article_answerer) as page:
        expect(page.locator("#restriction")).to_contain_text("Searching all 2 articles.", timeout=30_000)
        page.get_by_role("tab", name="Library").click()
        checklist = page.locator("#only-articles")
        expect(checklist).to_contain_text("Xi, Putin show united front amid tensions with West")
        bridge = "Harbour bridge reopens after repairs · Harbour Times · 2022-03-01 · 3 paragraphs"
        expect(checklist).to_contain_text(bridge)
        expect(checklist).to_contain_text("All 2 articles. Tick some")
        page.locator("#library-search textarea, #library-search input").first.fill("harbour")
        expect(checklist).not_to_contain_text("Xi, Putin show united front")
        expect(checklist).to_contain_text("1 of 2 articles")
        page.get_by_role("checkbox", name="Harbour bridge reopens after repairs").check()
        expect(page.locator("#restriction")).to_contain_text(
            "Searching only article “Harbour bridge reopens after repairs”", timeout=30_000
        )
        page.locator("#library-search textarea, #library-search input").first.fill("")  # the ticked one stays ticked
        expect(checklist).to_contain_text("Xi, Putin show united front")
        expect(page.get_by_role("checkbox", name="Harbour bridge reopens after repairs")).to_be_checked()
        box = page.locator("#question textarea")
        box.fill("What did Putin call his country's ties with China?")
        box.press("Enter")
        cards = page.locator("#sources .source-card")
        expect(cards.first).to_contain_text("Harbour bridge reopens after repairs", timeout=30_000)
        assert cards.count() == 3 and "Xi, Putin" not in page.locator("#sources").inner_text()
        expect(page.locator("#chat .message.bot").last).to_contain_text("Searching only article")
        page.reload()  # the restriction is kept by the browser, and still applies
        expect(page.locator("#restriction")).to_contain_text(
            "Searching only article “Harbour bridge reopens after repairs”", timeout=30_000
        )
        box.fill("Where did Xi and Putin meet?")
        box.press("Enter")
        expect(page.locator("#chat .message.bot")).to_have_count(2, timeout=30_000)
        expect(cards.first).to_contain_text("Harbour bridge reopens after repairs")
        assert "Xi, Putin" not in page.locator("#sources").inner_text()
        page.get_by_role("tab", name="Library").click()
        page.get_by_role("button", name="Search all articles again").click()
        expect(page.locator("#restriction")).to_contain_text("Searching all 2 articles.", timeout=30_000)
        expect(page.get_by_role("checkbox", name="Harbour bridge reopens after repairs")).not_to_be_checked()


@pytest.mark.browser
def test_the_source_and_date_filters_narrow_the_checklist_and_the_search(browser, two_article_answerer: Answerer):
    from playwright.sync_api import expect

    with chat_page(browser, two_article_answerer) as page:
        expect(page.locator("#restriction")).to_contain_text("Searching all 2 articles.", timeout=30_000)  # loaded
        page.get_by_role("tab", name="Library").click()
        checklist = page.locator("#only-articles")
        expect(checklist).to_contain_text("Xi, Putin show united front")
        page.locator("#date-from textarea, #date-from input").first.press_sequentially("2022-02")  # typed
        expect(page.locator("#restriction")).to_contain_text("Searching only dates 2022-02 to …", timeout=30_000)
        expect(checklist).not_to_contain_text("Xi, Putin show united front")  # undated: left out by a date bound
        expect(checklist).to_contain_text("1 of 2 articles.")


@pytest.mark.browser
def test_a_narrowed_question_that_finds_nothing_offers_to_search_all_articles(browser, two_article_answerer: Answerer):
    from playwright.sync_api import expect

    with chat_page(browser, two_article_answerer) as page:
        page.get_by_role("tab", name="Library").click()
        date_from = page.locator("#date-from textarea, #date-from input").first
        date_from.fill("2099")  # pasted: counted once the reader leaves the box
        date_from.press("Tab")
        expect(page.locator("#restriction")).to_contain_text("Searching only dates 2099", timeout=30_000)
        box = page.locator("#question textarea")
        box.fill("Where did Xi and Putin meet?")
        box.press("Enter")
        answer = page.locator("#chat .message.bot").last
        expect(answer).to_contain_text(NOTHING_ADMITTED, timeout=30_000)
        answer.get_by_role("button", name="Search all articles").click()
        expect(page.locator("#chat .message.bot")).to_have_count(2, timeout=30_000)
        expect(page.locator("#chat .message.bot").last).to_contain_text("Beijing")
        expect(page.locator("#restriction")).to_contain_text("Searching all 2 articles.")
        expect(page.locator("#chat .search-all")).to_have_count(1)  # only on the narrowed answer
