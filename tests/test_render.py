"""Article text is untrusted: what the page shows of it is inert text."""

from __future__ import annotations

import pytest

from embeddings.articles import Article
from embeddings.store import StoredParagraph
from qa.answer import Passage, Reply
from qa.retrieve import ArticleText
from webui.render import conversation_html, escape_markdown, reader_html, sources_html
from webui.stored import Turn

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


def test_the_conversation_escapes_the_answer_and_its_citations():
    html = conversation_html([Turn(hostile_reply())], "")
    for live in ("<script", "<img", "<b>", 'onerror="', "<a "):
        assert live not in html
    assert "&lt;b&gt;Title&lt;/b&gt; [x](javascript:y) — paragraph 1" in html  # shown as text, not a link


def test_every_citation_opens_its_own_answers_source_and_votes_show_as_pressed():
    reply = hostile_reply()
    html = conversation_html([Turn(reply, "up"), Turn(reply)], "")
    assert html.count('data-turn="0" data-source="1"') == 2 and html.count('data-turn="1" data-source="1"') == 2
    assert html.count('aria-pressed="true"') == 1 and 'data-turn="0" data-vote="up" aria-pressed="true"' in html
    assert conversation_html([], "<p>Welcome</p>") == '<div class="conversation"><p>Welcome</p></div>'


def test_markdown_escaping_leaves_no_link():
    assert escape_markdown("[a](b)") == r"\[a\]\(b\)"


def cited(paragraph: int, highlight: tuple[int, int] | None = None, phrase: tuple[int, int] | None = None) -> Passage:
    """The passage a citation points at, as the stored conversation holds it."""
    return Passage(article="a.txt", title="", paragraph=paragraph, text="", score=0.0, highlight=highlight,
                   phrase=phrase)  # fmt: skip


def reader_article(url: str, pages: tuple[int, ...] = ()) -> ArticleText:
    article = Article(id="a.txt", title="<b>Title</b>", paragraphs=(), path="a.txt", url=url, source="Wire",
                      pages=pages)  # fmt: skip
    paragraphs = [
        StoredParagraph(
            row=n - 1, article_id="a.txt", title=article.title, number=n, part=1, text=text, hash=str(n),
            first_sentence=0, sentence_spans=(), sentence_terms=(), sentence_bigrams=(),
        )
        for n, text in enumerate(["First <i>one</i>.", "Second one. The answer here.", "Third."], start=1)
    ]  # fmt: skip
    return ArticleText(article, paragraphs)


def test_the_reader_marks_the_cited_paragraph_and_its_sentence_and_escapes_everything():
    html = reader_html(reader_article("https://example.org/a?x=1&y=<2>"), cited(2, (12, 28)))
    assert '<h2 class="reader-title" id="reader-title">&lt;b&gt;Title&lt;/b&gt;</h2>' in html
    assert "First &lt;i&gt;one&lt;/i&gt;." in html
    assert '<p class="reader-paragraph cited" id="reader-cited">' in html and html.count('id="reader-cited"') == 1
    assert '<mark class="answer">The answer here.</mark>' in html
    assert 'href="https://example.org/a?x=1&amp;y=&lt;2&gt;" target="_blank" rel="noopener noreferrer"' in html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "/local", ""])
def test_the_reader_links_only_to_web_addresses(url: str):
    assert "<a " not in reader_html(reader_article(url), cited(1))


def test_the_reader_shows_where_each_page_of_a_pdf_begins():
    html = reader_html(reader_article("", pages=(1, 3, 3)), cited(2))
    assert html.count('class="reader-page"') == 2
    assert html.index("Page 1") < html.index("First") < html.index("Page 3") < html.index("Second")
    assert "reader-page" not in reader_html(reader_article(""), cited(2))  # other articles have no pages


def test_the_reader_says_when_the_article_is_gone():
    assert "no longer in the index" in reader_html(None, cited(1))


def test_the_answer_phrase_is_bold_in_the_chat_and_strong_in_its_card_and_the_reader():
    text = "Boston was founded in 1630 by <Puritan> settlers."
    phrase = (text.index("<Puritan>"), text.index(" settlers") + len(" settlers"))
    passage = Passage(article="b.txt", title="Boston", paragraph=1, text=text, score=0.9, highlight=(0, len(text)),
                      phrase=phrase)  # fmt: skip
    reply = Reply(question="Who founded Boston?", answer=text, found=True, passages=(passage,), answer_passage=0,
                  answer_span=phrase)  # fmt: skip
    assert "by <strong>&lt;Puritan&gt; settlers</strong>." in conversation_html([Turn(reply)], "")
    card = sources_html(reply)
    assert '<strong class="answer-phrase">&lt;Puritan&gt; settlers</strong>' in card
    html = reader_html(reader_article(""), cited(2, (12, 28), (16, 22)))
    assert '<mark class="answer">The <strong class="answer-phrase">answer</strong> here.</mark>' in html


def test_a_phrase_outside_its_sentence_is_not_marked():
    html = reader_html(reader_article(""), cited(2, (12, 28), (0, 6)))
    assert "answer-phrase" not in html and '<mark class="answer">The answer here.</mark>' in html


def test_a_narrowed_question_that_found_nothing_offers_to_search_all_articles():
    nothing = Reply(question="Who?", answer="I found nothing in the articles that answers this.", found=False)
    html = conversation_html([Turn(nothing, narrowed=True), Turn(nothing), Turn(hostile_reply(), narrowed=True)], "")
    assert html.count('class="search-all"') == 1 and 'class="search-all" data-turn="0"' in html
