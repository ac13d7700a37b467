"""Article text is untrusted: what the page shows of it is inert text."""

from __future__ import annotations

from qa.answer import Passage, Reply
from webui.render import escape_markdown, reply_markdown, sources_html

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
