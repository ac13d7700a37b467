"""Replies into chat Markdown and sources HTML. Article text is untrusted: it is escaped here,
in one place, before anything shows it, so markup that came in with an article stays text.
"""

from __future__ import annotations

import html
import re

from qa.answer import Passage, Reply

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


def _highlighted(passage: Passage, css_class: str) -> str:
    if passage.highlight is None:
        return escape_html(passage.text)
    start, end = passage.highlight
    text = passage.text
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
        cards.append(
            f'<article class="source-card{" answer-card" if is_answer else ""}" id="source-{number}">'
            f'<header><span class="source-number">[{number}]</span> '
            f'<span class="source-title">{escape_html(passage.title)}</span> '
            f'<span class="source-paragraph">paragraph {passage.paragraph}</span>'
            f'<span class="source-score" title="relevance score">{passage.score:.2f}</span></header>'
            + (f'<div class="source-meta">{meta}</div>' if meta else "")
            + f"<p>{_highlighted(passage, 'answer' if is_answer else 'match')}</p></article>"
        )
    return '<div class="sources">' + "".join(cards) + "</div>"
