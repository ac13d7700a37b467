"""Article text is untrusted: markup that comes in with an article is shown as text, never run."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from embeddings.build import build_index
from embeddings.encoder import Encoder, TextEncoder
from qa.answer import Answerer
from qa.retrieve import Retriever
from tests.conftest import free_port

HOSTILE_ARTICLE = """Lighthouse keeper retires <script>alert('title')</script>

The lighthouse keeper retired on Monday after forty years <script>alert('xss')</script> on the island.

<img src=http://evil.example/pixel.png onerror="alert('img')"> The island ferry will now carry the post.

Read the [farewell letter](javascript:alert('link')) or see ![his portrait](http://evil.example/portrait.jpg) online.
"""


@pytest.mark.browser
def test_hostile_article_text_is_inert_in_the_chat_and_the_sources(
    browser, tmp_path: Path, encoder: Encoder, question_encoder: TextEncoder
):
    from webui.server import serve

    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "hostile.txt").write_text(HOSTILE_ARTICLE, encoding="utf-8")
    build_index(articles, tmp_path / "index", encoder=encoder, progress=False, log=lambda line: None)
    server = serve(Answerer(Retriever(tmp_path / "index", encoder=question_encoder)), port=free_port(), block=False)
    url = server.url
    context = browser.new_context()
    try:
        page = context.new_page()
        dialogs: list[str] = []
        requests: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("request", lambda request: requests.append(request.url))
        page.goto(url)
        questions = ("When did the lighthouse keeper retire?", "Who will carry the post?", "farewell letter")
        for asked, question in enumerate(questions, start=1):
            box = page.locator("#question textarea")
            box.fill(question)
            box.press("Enter")
            page.wait_for_function(  # the answer itself, not Gradio's "Loading content" placeholder
                "n => document.querySelectorAll('#chat .message.bot').length >= n"
                " && !document.querySelector('#chat').innerText.includes('Loading content')",
                arg=asked,
                timeout=60_000,
            )
        sources = page.locator("#sources").inner_text()
        chat = page.locator("#chat").inner_text()
        assert "<script>alert('xss')</script>" in sources
        assert "<img src=http://evil.example/pixel.png onerror=\"alert('img')\">" in sources
        assert "[farewell letter](javascript:alert('link'))" in sources
        assert "Lighthouse keeper retires <script>alert('title')</script>" in chat
        page.locator("#sources .source-card").first.click()  # the reader shows the whole article, inert too
        expect(page.locator("#reader .reader-title")).to_contain_text("<script>alert('title')</script>", timeout=30_000)
        assert "<script>alert('xss')</script>" in page.locator("#reader").inner_text()
        assert page.locator("#sources script, #sources img, #chat img, #chat a[href^='javascript']").count() == 0
        assert page.locator("#reader script, #reader img, #reader a").count() == 0
        page.wait_for_timeout(500)
        assert dialogs == []
        assert not [u for u in requests if "evil.example" in u]
    finally:
        context.close()
        server.close()
