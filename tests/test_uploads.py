"""Articles added from the page: safe names, the build's own checks, nothing outside the folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from embeddings.uploads import UPLOADS, safe_name, save_pasted, save_upload

ARTICLE = b"Harbour bridge reopens\n\nThe harbour bridge reopened on Tuesday.\n"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\boot.ini.md", "boot-ini.md"),
        ("/abs/path/Notes.TXT", "Notes.txt"),
        ("Über die Brücke – Bericht.html", "Uber-die-Brucke-Bericht.html"),
        (".hidden.txt", "hidden.txt"),
        ("新闻.txt", "article.txt"),
        ("a" * 300 + ".txt", "a" * 80 + ".txt"),
    ],
)
def test_names_are_made_safe(name: str, safe: str):
    assert safe_name(name) == safe


def test_an_upload_lands_in_the_uploads_folder_and_never_replaces_another(tmp_path: Path):
    first = save_upload(tmp_path, "../../escape.txt", ARTICLE)
    second = save_upload(tmp_path, "escape.txt", ARTICLE)
    assert first.saved == tmp_path / UPLOADS / "escape.txt" and second.saved == tmp_path / UPLOADS / "escape-2.txt"
    assert first.saved.read_bytes() == ARTICLE and str(first) == "added ../../escape.txt"
    assert sorted(p.name for p in (tmp_path / UPLOADS).iterdir()) == ["escape-2.txt", "escape.txt"]  # no temp left


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("tool.exe", b"MZ\x90\x00", ".exe is not an article format"),
        ("empty.txt", b"   \n\n ", "empty file"),
        ("broken.json", b'{"title": "x", ', "malformed JSON"),
        ("binary.txt", bytes(range(256)) * 40, "binary"),
    ],
)
def test_a_file_the_build_would_skip_is_refused_with_its_reason_and_not_kept(
    tmp_path: Path, name: str, data: bytes, reason: str
):
    upload = save_upload(tmp_path, name, data)
    assert upload.saved is None and reason in upload.reason and str(upload).startswith(f"refused {name}: ")
    assert list((tmp_path / UPLOADS).glob("*")) == []


def test_pasted_text_becomes_a_text_article(tmp_path: Path):
    upload = save_pasted(tmp_path, "  Ferry   service ends ", "The ferry will stop on Friday.")
    assert upload.saved == tmp_path / UPLOADS / "Ferry-service-ends.txt"
    assert upload.saved.read_text() == "Ferry service ends\n\nThe ferry will stop on Friday.\n"
    assert save_pasted(tmp_path, "", "text").reason == "give both a title and the article's text"


@pytest.mark.browser
def test_a_reader_adds_files_pasted_text_and_web_pages_from_the_page_and_asks_about_them(
    browser, tmp_path: Path, articles_dir: Path, encoder, question_encoder
):
    """...a text file, a PDF, pasted text and a page by its address; and a second chat on the same
    index sees the new articles with its next question."""
    from playwright.sync_api import expect

    from embeddings.build import build_index
    from qa.answer import Answerer
    from qa.retrieve import Retriever
    from tests.conftest import accessibility_violations, ask_api, free_port
    from tests.pdfs import article_html, print_pdf
    from tests.site import Route, news_page, serving
    from webui.server import serve

    build_index(articles_dir, tmp_path / "index", encoder=encoder, progress=False, log=lambda line: None)
    server = serve(
        Answerer(Retriever(tmp_path / "index", encoder=question_encoder)),
        port=free_port(),
        articles_dir=articles_dir,
        block=False,
    )
    other_chat = serve(Answerer(Retriever(tmp_path / "index", encoder=question_encoder)), port=free_port(), block=False)
    assert ask_api(other_chat.url, "Where did Xi and Putin meet?")["found"]
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "cable repairs.txt").write_bytes(
        b"Harbour bridge reopens\n\nEngineers replaced 140 corroded cable strands on the harbour bridge.\n"
    )
    (drop / "empty.txt").write_bytes(b"  \n")
    keeper = ["The lighthouse on Gull Point will have a keeper again from May, the first since 1979."]
    print_pdf(browser, article_html("Lighthouse keeper returns", keeper, layout="two-column"), drop / "keeper.pdf",
              running="Lighthouse keeper returns")  # fmt: skip
    pier = ["The old pier will be rebuilt in oak by the boatyard of Ellen Pascoe, the council decided on Monday.",
            "Work starts in September and the pier should reopen to walkers the following summer."]  # fmt: skip
    site = serving({"/news/pier": Route(news_page("Pier to be rebuilt in oak", pier))})
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        web = site.__enter__()
        page = context.new_page()
        page.goto(server.url)
        page.get_by_role("tab", name="Add articles").click()
        expect(page.locator("#add-button")).to_be_visible(timeout=30_000)
        found = {"add articles open": accessibility_violations(page)}
        page.locator("#upload-files input[type=file]").set_input_files(
            [drop / "cable repairs.txt", drop / "empty.txt", drop / "keeper.pdf"]
        )
        uploaded = page.locator("#upload-files")
        expect(uploaded).to_contain_text(re.compile(r"empty\s*\.txt"), timeout=30_000)  # Gradio may space it
        expect(uploaded).not_to_contain_text("Uploading", timeout=30_000)
        page.locator("#paste-title textarea, #paste-title input").first.fill("Ferry service ends")
        page.locator("#paste-text textarea").fill("The harbour ferry service will stop running on Friday.")
        page.locator("#add-addresses textarea").fill(f"{web.url('/news/pier')}\n{web.url('/missing')}")
        page.locator("#add-button").click()
        status = page.locator("#upload-status")
        expect(status).to_contain_text("Ask about them now.", timeout=120_000)
        assert "Indexed 1 paragraph from “Harbour bridge reopens” (cable repairs.txt)." in status.inner_text()
        assert "Not added: empty.txt (empty file" in status.inner_text()
        assert "Indexed 1 paragraph from “Ferry service ends”." in status.inner_text()
        assert "Indexed 1 paragraph from “Lighthouse keeper returns” (keeper.pdf)." in status.inner_text()
        assert (
            f"Indexed 2 paragraphs from “Pier to be rebuilt in oak” ({web.url('/news/pier')})." in status.inner_text()
        )
        assert f"Not added: {web.url('/missing')} (HTTP 404 Not Found)." in status.inner_text()
        assert "segment" not in status.inner_text() and "vector" not in status.inner_text()
        found["articles added"] = accessibility_violations(page)
        serious = {state: [v for v in found[state] if v["impact"] in ("critical", "serious")] for state in found}
        assert serious == {state: [] for state in found}
        page.get_by_role("tab", name="Library").click()
        expect(page.locator("#only-articles")).to_contain_text("Ferry service ends · 1 paragraph")
        saved = sorted(p.name for p in (articles_dir / "uploads").iterdir())
        assert saved == ["Ferry-service-ends.txt", "cable-repairs.txt", "keeper.pdf"]
        assert [p.name for p in (articles_dir / "web").iterdir()] == ["Pier-to-be-rebuilt-in-oak.json"]
        seen_by_the_other = ask_api(other_chat.url, "How many cable strands were replaced?")
        assert seen_by_the_other["passages"][0]["article"] == "uploads/cable-repairs.txt"
        box = page.locator("#question textarea")
        box.fill("How many cable strands were replaced?")
        box.press("Enter")
        expect(page.locator("#sources .source-card").first).to_contain_text("Harbour bridge reopens", timeout=30_000)
        box.fill("When will the ferry service stop running?")
        box.press("Enter")
        expect(page.locator("#chat .message.bot").last).to_contain_text("Friday", timeout=30_000)
        box.fill("Whose boatyard will rebuild the pier?")
        box.press("Enter")
        expect(page.locator("#chat .message.bot").last).to_contain_text("Ellen Pascoe", timeout=30_000)
    finally:
        site.__exit__(None, None, None)
        context.close()
        server.close()
        other_chat.close()


@pytest.mark.browser
def test_a_read_only_page_offers_no_uploads(browser, chat_url: str):
    page = browser.new_page()
    page.goto(chat_url)
    page.locator("#question textarea").wait_for()
    assert page.locator("#add-articles").count() == 0 and page.get_by_text("Add articles").count() == 0
    page.close()
