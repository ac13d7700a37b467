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
        lines.append(f"> {_marked_answer(reply)} \\[{reply.answer_passage + 1}\\]")
    if reply.passages:
        lines.append("\n**Sources**" if reply.found else "\n**Closest passages**")
        for number, passage in enumerate(reply.passages, start=1):
            lines.append(f"\\[{number}\\] {escape_markdown(citation_label(passage))}  ")
    return "\n".join(lines)


def _marked_answer(reply: Reply) -> str:
    """The quoted sentence as Markdown, its answer phrase in bold."""
    if not reply.answer_span:
        return escape_markdown(reply.answer)
    start, end = reply.answer_span
    before, phrase, after = reply.answer[:start], reply.answer[start:end], reply.answer[end:]
    return f"{escape_markdown(before)}**{escape_markdown(phrase)}**{escape_markdown(after)}"


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


def sources_html(reply: Reply | None) -> str:
    """The sources panel: one card per cited passage, the matching sentence highlighted."""
    if reply is None or not reply.passages:
        return '<div class="sources-empty">Cited passages appear here.</div>'
    cards = []
    for number, passage in enumerate(reply.passages, start=1):
        meta = " · ".join(escape_html(v) for v in (passage.source, passage.date) if v)
        is_answer = number - 1 == reply.answer_passage
        citation = {"article": passage.article, "paragraph": passage.paragraph, "part": passage.part}
        marks = {"highlight": passage.highlight, **({"phrase": passage.phrase} if passage.phrase else {})}
        cards.append(
            f'<article class="source-card{" answer-card" if is_answer else ""}" id="source-{number}"'
            f' data-citation="{escape_html(json.dumps({**citation, **marks}))}"'
            ' role="button" tabindex="0" title="Open the article at this paragraph">'
            f'<header><span class="source-number">[{number}]</span> '
            f'<span class="source-title">{escape_html(passage.title)}</span> '
            f'<span class="source-paragraph">paragraph {passage.paragraph}</span>'
            f'<span class="source-score" title="relevance score">{passage.score:.2f}</span></header>'
            + (f'<div class="source-meta">{meta}</div>' if meta else "")
            + f"<p>{_highlighted(passage.text, passage.highlight, 'answer' if is_answer else 'match', passage.phrase)}"
            "</p></article>"
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
        marks = (citation.get("highlight"), citation.get("phrase")) if is_cited else (None, None)
        body = _highlighted(paragraph.text, marks[0], "answer", marks[1])
        attributes = ' class="reader-paragraph cited" id="reader-cited"' if is_cited else ' class="reader-paragraph"'
        parts.append(f'<p{attributes}><span class="reader-number">{paragraph.number}</span> {body}</p>')
    return "".join(parts) + "</div>"
