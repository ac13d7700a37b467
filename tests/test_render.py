"""Article text is untrusted: what the page shows of it is inert text."""

from __future__ import annotations

import pytest

from embeddings.articles import Article
from embeddings.store import StoredParagraph
from qa.answer import Passage, Reply
from qa.retrieve import ArticleText
from webui.render import escape_markdown, reader_html, reply_markdown, sources_html

HOSTILE = (
    'Breaking <script>alert("x")</script> news <img src=x onerror="alert(1)"> '
    "[click](javascript:alert(2)) ![pic](http://evil.example/p.png) **bold** & more."
)


def hostile_reply() -> Reply:
    passage = Passage(
        article="evil.txt",
        title="<b>Title</b> [x](javascript:y)",
        paragraph=1,
        text=HOSTILE,
        score=0.5,
        highlight=(0, len("Breaking <script>")),
        source="<i>src</i>",
    )
    return Reply(question="q", answer=HOSTILE, found=True, passages=(passage,), answer_passage=0)


def test_sources_panel_escapes_every_article_field():
    html = sources_html(hostile_reply())
    for live in ("<script", "<img", "<b>", "<i>", 'onerror="'):
        assert live not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert '<mark class="answer">Breaking &lt;script&gt;</mark>' in html


def test_chat_markdown_leaves_no_link_image_tag_or_emphasis_syntax():
    markdown = reply_markdown(hostile_reply())
    for live in ("<script", "<img", "](", "![", "**bold**"):
        assert live not in markdown
    assert escape_markdown("[a](b)") == r"\[a\]\(b\)"


def reader_article(url: str) -> ArticleText:
    article = Article(id="a.txt", title="<b>Title</b>", paragraphs=(), path="a.txt", url=url, source="Wire")
    paragraphs = [
        StoredParagraph(
            row=n - 1, article_id="a.txt", title=article.title, number=n, part=1, text=text, hash=str(n),
            first_sentence=0, sentence_spans=(), sentence_terms=(), sentence_bigrams=(),
        )
        for n, text in enumerate(["First <i>one</i>.", "Second one. The answer here.", "Third."], start=1)
    ]  # fmt: skip
    return ArticleText(article, paragraphs)


def test_the_reader_marks_the_cited_paragraph_and_its_sentence_and_escapes_everything():
    html = reader_html(reader_article("https://example.org/a?x=1&y=<2>"), {"paragraph": 2, "highlight": [12, 28]})
    assert '<h3 class="reader-title">&lt;b&gt;Title&lt;/b&gt;</h3>' in html
    assert "First &lt;i&gt;one&lt;/i&gt;." in html
    assert '<p class="reader-paragraph cited" id="reader-cited">' in html and html.count('id="reader-cited"') == 1
    assert '<mark class="answer">The answer here.</mark>' in html
    assert 'href="https://example.org/a?x=1&amp;y=&lt;2&gt;" target="_blank" rel="noopener noreferrer"' in html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "/local", ""])
def test_the_reader_links_only_to_web_addresses(url: str):
    assert "<a " not in reader_html(reader_article(url), {"paragraph": 1})


def test_the_reader_says_when_the_article_is_gone():
    assert "no longer in the index" in reader_html(None, {"paragraph": 1})


def test_the_answer_phrase_is_bold_in_the_chat_and_strong_in_its_card_and_the_reader():
    text = "Boston was founded in 1630 by <Puritan> settlers."
    phrase = (text.index("<Puritan>"), text.index(" settlers") + len(" settlers"))
    passage = Passage(article="b.txt", title="Boston", paragraph=1, text=text, score=0.9, highlight=(0, len(text)),
                      phrase=phrase)  # fmt: skip
    reply = Reply(question="Who founded Boston?", answer=text, found=True, passages=(passage,), answer_passage=0,
                  answer_span=phrase)  # fmt: skip
    assert r"by **&lt;Puritan&gt; settlers**\." in reply_markdown(reply)
    card = sources_html(reply)
    assert '<strong class="answer-phrase">&lt;Puritan&gt; settlers</strong>' in card
    assert "&quot;phrase&quot;: [30, 48]" in card  # the citation carries it to the reader
    html = reader_html(reader_article(""), {"paragraph": 2, "highlight": [12, 28], "phrase": [16, 22]})
    assert '<mark class="answer">The <strong class="answer-phrase">answer</strong> here.</mark>' in html


def test_a_phrase_outside_its_sentence_is_not_marked():
    html = reader_html(reader_article(""), {"paragraph": 2, "highlight": [12, 28], "phrase": [0, 6]})
    assert "answer-phrase" not in html and '<mark class="answer">The answer here.</mark>' in html
