"""Replies into the conversation's HTML, the sources panel and the reader. Article text is
untrusted: it is escaped here, in one place, before anything shows it, so markup that came in with
an article stays text. Citations are buttons carrying only numbers (the answer's turn, the source):
the server looks the passage up in the stored conversation, so nothing the page sends is quoted back.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from qa.answer import Passage, Reply
from qa.retrieve import ArticleText
from webui.stored import Turn

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>:])")


def escape_html(text: str) -> str:
    return html.escape(text, quote=True)


def escape_markdown(text: str) -> str:
    """Text that Markdown shows literally: no tags, links, images, emphasis or lists."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def citation_label(passage: Passage) -> str:
    part = f", part {passage.part}" if passage.part > 1 else ""
    return f"{passage.title} — paragraph {passage.paragraph}{part}"


Span = tuple[int, int] | list[int] | None


def _highlighted(text: str, span: Span, css_class: str, phrase: Span = None) -> str:
    """`text` escaped, the characters in `span` (if any) in a `<mark>`, and the answer `phrase`
    inside it (if any) in a `<strong>`."""
    if not span:
        return escape_html(text)
    start, end = span
    inner = escape_html(text[start:end])
    if phrase and start <= phrase[0] < phrase[1] <= end:
        first, last = phrase
        inner = (
            f'{escape_html(text[start:first])}<strong class="answer-phrase">{escape_html(text[first:last])}</strong>'
            f"{escape_html(text[last:end])}"
        )
    return f'{escape_html(text[:start])}<mark class="{css_class}">{inner}</mark>{escape_html(text[end:])}'


def _cite(turn: int, number: int, label: str, css_class: str, aria_label: str = "") -> str:
    """A button that opens source `number` of turn `turn` in the panel (webui/page.py's script)."""
    named = f' aria-label="{escape_html(aria_label)}"' if aria_label else ""
    return (
        f'<button type="button" class="{css_class}" data-turn="{turn}" data-source="{number}"{named}>'
        f"{escape_html(label)}</button>"
    )


def _marked_answer(reply: Reply) -> str:
    """The quoted sentence as HTML, its answer phrase in bold."""
    if not reply.answer_span:
        return escape_html(reply.answer)
    start, end = reply.answer_span
    before, phrase, after = reply.answer[:start], reply.answer[start:end], reply.answer[end:]
    return f"{escape_html(before)}<strong>{escape_html(phrase)}</strong>{escape_html(after)}"


def answer_html(reply: Reply, turn: int) -> str:
    """An answer in the conversation: notes, the quote with its answer phrase in bold, and every
    citation a button that opens that source of this answer."""
    parts = [f'<p class="note"><em>{escape_html(note)}</em></p>' for note in reply.notes]
    if not reply.found or reply.answer_passage is None:
        parts.append(f"<p>{escape_html(reply.answer)}</p>")
    else:
        number = reply.answer_passage + 1
        label = citation_label(reply.passages[reply.answer_passage])
        cite = _cite(turn, number, f"[{number}]", "cite", f"Source {number}: {label}")
        parts.append(f"<blockquote><p>{_marked_answer(reply)} {cite}</p></blockquote>")
    if reply.passages:
        heading = "Sources" if reply.found else "Closest passages"
        lines = "".join(
            f"<li>{_cite(turn, number, f'[{number}] {citation_label(passage)}', 'cite-line')}</li>"
            for number, passage in enumerate(reply.passages, start=1)
        )
        parts.append(f'<p class="cited-heading"><strong>{heading}</strong></p><ul class="cited">{lines}</ul>')
    return "".join(parts)


def _vote_buttons(turn: int, vote: str) -> str:
    buttons = "".join(
        f'<button type="button" class="vote" data-turn="{turn}" data-vote="{value}"'
        f' aria-pressed="{"true" if vote == value else "false"}">{name}</button>'
        for value, name in (("up", "Like"), ("down", "Dislike"))
    )
    return f'<div class="votes" role="group" aria-label="Was this answer useful?">{buttons}</div>'


def welcome_html(articles: int, paragraphs: int, examples: Sequence[str]) -> str:
    """The first screen: what is indexed, and example questions that ask themselves when clicked."""
    held = "one article" if articles == 1 else f"{articles} articles"
    buttons = "".join(
        f'<li><button type="button" class="example" data-question="{escape_html(q)}">{escape_html(q)}</button></li>'
        for q in examples
    )
    return (
        f'<div class="welcome"><h2>Ask about {held}</h2>'
        f"<p>{held.capitalize()} ({paragraphs} paragraphs) indexed. Ask in your own words: every answer quotes"
        " the sentence it comes from, and each [number] opens its source beside the chat.</p>"
        + (f'<p>Try one of these:</p><ul class="examples">{buttons}</ul>' if examples else "")
        + "</div>"
    )


def conversation_html(turns: Sequence[Turn], empty: str) -> str:
    """The conversation, oldest first: each question, its answer and the reader's vote on it, and
    for a narrowed question that found nothing, a button to ask it of all the articles; `empty`
    (HTML) when nothing has been asked yet."""
    if not turns:
        return f'<div class="conversation">{empty}</div>'
    shown = []
    for index, turn in enumerate(turns):
        question = turn.reply.question
        asked = f'<div class="message user"><p>{escape_html(question)}</p></div>' if question else ""
        widen = (
            f'<button type="button" class="search-all" data-turn="{index}">Search all articles</button>'
            if turn.offers_all_articles
            else ""
        )
        shown.append(
            f'<section class="turn" id="turn-{index}">{asked}<div class="message bot">'
            f"{answer_html(turn.reply, index)}{widen}{_vote_buttons(index, turn.vote)}</div></section>"
        )
    return '<div class="conversation">' + "".join(shown) + "</div>"


def conversations_html(titles: Sequence[str]) -> str:
    """The earlier conversations, each named by its first question, to open or delete."""
    if not titles:
        return '<p class="conversations-empty">Earlier conversations appear here after "New chat".</p>'
    rows = "".join(
        f'<li><button type="button" class="open-conversation" data-index="{index}">{escape_html(title)}</button>'
        f'<button type="button" class="delete-conversation" data-index="{index}"'
        f' aria-label="Delete “{escape_html(title)}”">Delete</button></li>'
        for index, title in enumerate(titles)
    )
    return f'<ul class="conversations">{rows}</ul>'


def sources_html(reply: Reply | None, turn: int = 0, selected: int | None = None) -> str:
    """The sources panel for answer `turn`: one card per cited passage, the matching sentence
    highlighted, card `selected` (1-based) marked as the one open in the reader."""
    if reply is None or not reply.passages:
        return '<div class="sources-empty">Cited passages appear here.</div>'
    cards = []
    for number, passage in enumerate(reply.passages, start=1):
        meta = " · ".join(escape_html(v) for v in (passage.source, passage.date) if v)
        is_answer = number - 1 == reply.answer_passage
        classes = "source-card" + (" answer-card" if is_answer else "") + (" selected" if number == selected else "")
        opener = _cite(turn, number, f"[{number}] {passage.title}", "open-source")
        cards.append(
            f'<article class="{classes}" id="source-{number}" data-turn="{turn}" data-source="{number}">'
            f'<header><h2 class="source-heading">{opener}</h2>'
            f'<span class="source-paragraph">paragraph {passage.paragraph}</span>'
            f'<span class="source-score" title="relevance score">{passage.score:.2f}</span></header>'
            + (f'<div class="source-meta">{meta}</div>' if meta else "")
            + f"<p>{_highlighted(passage.text, passage.highlight, 'answer' if is_answer else 'match', passage.phrase)}"
            "</p></article>"
        )
    return f'<div class="sources" aria-label="Sources of answer {turn + 1}" role="region">' + "".join(cards) + "</div>"


def _link(url: str) -> str:
    """A link to the article's page, only for web addresses (never `javascript:` and the like)."""
    if not re.match(r"https?://", url, re.IGNORECASE):
        return ""
    return f'<a href="{escape_html(url)}" target="_blank" rel="noopener noreferrer">{escape_html(url)}</a>'


def reader_html(text: ArticleText | None, cited: Passage) -> str:
    """The whole article, the cited paragraph marked (id `reader-cited`) and its sentence highlighted;
    the reader scrolls inside itself and takes the focus, so it is focusable and named by its title."""
    if text is None:
        return '<div class="reader-empty">That article is no longer in the index.</div>'
    article = text.article
    meta = " · ".join(escape_html(v) for v in (article.source, article.author, article.date) if v)
    link = _link(article.url)
    parts = [
        '<div class="reader" tabindex="0" role="region" aria-labelledby="reader-title">'
        f'<header><h2 class="reader-title" id="reader-title">{escape_html(article.title)}</h2>'
        + (f'<div class="reader-meta">{meta}</div>' if meta else "")
        + (f'<div class="reader-link">{link}</div>' if link else "")
        + '<button type="button" class="back-to-answer">Back to the answer</button></header>'
    ]
    page = 0
    for paragraph in text.paragraphs:
        if paragraph.number <= len(article.pages) and article.pages[paragraph.number - 1] != page:
            page = article.pages[paragraph.number - 1]  # a PDF's page numbers, where each page begins
            parts.append(f'<div class="reader-page">Page {page}</div>')
        is_cited = (paragraph.number, paragraph.part) == (cited.paragraph, cited.part)
        marks = (cited.highlight, cited.phrase) if is_cited else (None, None)
        body = _highlighted(paragraph.text, marks[0], "answer", marks[1])
        attributes = ' class="reader-paragraph cited" id="reader-cited"' if is_cited else ' class="reader-paragraph"'
        parts.append(f'<p{attributes}><span class="reader-number">{paragraph.number}</span> {body}</p>')
    return "".join(parts) + "</div>"
