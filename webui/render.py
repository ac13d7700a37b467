"""Replies into chat Markdown and sources HTML. Article text is untrusted: it is escaped here,
in one place, before anything shows it, so markup that came in with an article stays text.
"""

from __future__ import annotations

import html
import json
import re

from qa.answer import Passage, Reply
from qa.retrieve import ArticleText

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>:])")


def escape_html(text: str) -> str:
    return html.escape(text, quote=True)


def escape_markdown(text: str) -> str:
    """Text that Markdown shows literally: no tags, links, images, emphasis or lists."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def citation_label(passage: Passage) -> str:
    part = f", part {passage.part}" if passage.part > 1 else ""
    return f"{passage.title} — paragraph {passage.paragraph}{part}"


def reply_markdown(reply: Reply) -> str:
    """The assistant's chat message: notes, the quoted answer, then numbered citations."""
    lines = [f"*{escape_markdown(note)}*\n" for note in reply.notes]
    if not reply.found or reply.answer_passage is None:
        lines.append(escape_markdown(reply.answer))
    else:
        lines.append(f"> {escape_markdown(reply.answer)} \\[{reply.answer_passage + 1}\\]")
    if reply.passages:
        lines.append("\n**Sources**" if reply.found else "\n**Closest passages**")
        for number, passage in enumerate(reply.passages, start=1):
            lines.append(f"\\[{number}\\] {escape_markdown(citation_label(passage))}  ")
    return "\n".join(lines)


def _highlighted(text: str, span: tuple[int, int] | list[int] | None, css_class: str) -> str:
    """`text` escaped, with the characters in `span` (if any) in a `<mark>`."""
    if not span:
        return escape_html(text)
    start, end = span
    marked = f'<mark class="{css_class}">{escape_html(text[start:end])}</mark>'
    return f"{escape_html(text[:start])}{marked}{escape_html(text[end:])}"


def sources_html(reply: Reply | None) -> str:
    """The sources panel: one card per cited passage, the matching sentence highlighted."""
    if reply is None or not reply.passages:
        return '<div class="sources-empty">Cited passages appear here.</div>'
    cards = []
    for number, passage in enumerate(reply.passages, start=1):
        meta = " · ".join(escape_html(v) for v in (passage.source, passage.date) if v)
        is_answer = number - 1 == reply.answer_passage
        citation = {"article": passage.article, "paragraph": passage.paragraph, "part": passage.part}
        cards.append(
            f'<article class="source-card{" answer-card" if is_answer else ""}" id="source-{number}"'
            f' data-citation="{escape_html(json.dumps({**citation, "highlight": passage.highlight}))}"'
            ' role="button" tabindex="0" title="Open the article at this paragraph">'
            f'<header><span class="source-number">[{number}]</span> '
            f'<span class="source-title">{escape_html(passage.title)}</span> '
            f'<span class="source-paragraph">paragraph {passage.paragraph}</span>'
            f'<span class="source-score" title="relevance score">{passage.score:.2f}</span></header>'
            + (f'<div class="source-meta">{meta}</div>' if meta else "")
            + f"<p>{_highlighted(passage.text, passage.highlight, 'answer' if is_answer else 'match')}</p></article>"
        )
    return '<div class="sources">' + "".join(cards) + "</div>"


def _link(url: str) -> str:
    """A link to the article's page, only for web addresses (never `javascript:` and the like)."""
    if not re.match(r"https?://", url, re.IGNORECASE):
        return ""
    return f'<a href="{escape_html(url)}" target="_blank" rel="noopener noreferrer">{escape_html(url)}</a>'


def reader_html(text: ArticleText | None, citation: dict) -> str:
    """The whole article, the cited paragraph marked (id `reader-cited`) and its sentence highlighted."""
    if text is None:
        return '<div class="reader-empty">That article is no longer in the index.</div>'
    article = text.article
    meta = " · ".join(escape_html(v) for v in (article.source, article.author, article.date) if v)
    link = _link(article.url)
    parts = [
        f'<div class="reader"><header><h3 class="reader-title">{escape_html(article.title)}</h3>'
        + (f'<div class="reader-meta">{meta}</div>' if meta else "")
        + (f'<div class="reader-link">{link}</div>' if link else "")
        + "</header>"
    ]
    cited = (citation.get("paragraph"), citation.get("part", 1))
    for paragraph in text.paragraphs:
        is_cited = (paragraph.number, paragraph.part) == cited
        body = _highlighted(paragraph.text, citation.get("highlight") if is_cited else None, "answer")
        attributes = ' class="reader-paragraph cited" id="reader-cited"' if is_cited else ' class="reader-paragraph"'
        parts.append(f'<p{attributes}><span class="reader-number">{paragraph.number}</span> {body}</p>')
    return "".join(parts) + "</div>"
