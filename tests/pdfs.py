"""PDF articles printed by Chromium from HTML, for the PDF reader's tests and benchmark.

Three layouts a reader meets: a web page printed with the browser's running header and footer
(title, date, "Page 2 of 3"), a two-column report, and a book-like page whose paragraphs are
told apart only by a first-line indent, justified, with words hyphenated at line ends.
"""

from __future__ import annotations

import html
from pathlib import Path

LAYOUTS = ("one-column", "two-column", "indented")

_STYLES = {
    "one-column": "body { font: 12pt serif; } p { margin: 0 0 0.8em; }",
    "two-column": "body { font: 10pt serif; } .body { column-count: 2; column-gap: 1.2cm; } p { margin: 0 0 0.7em; }",
    "indented": (
        "body { font: 11pt serif; } p { margin: 0; text-indent: 1.5em; text-align: justify; }"
        " h1 + .body p:first-child { text-indent: 0; }"
    ),
}
_HEADER = '<div style="font-size:8pt; width:100%; text-align:center;">{title} · Example Times</div>'
_FOOTER = (
    '<div style="font-size:8pt; width:100%; text-align:center;">'
    'Page <span class="pageNumber"></span> of <span class="totalPages"></span></div>'
)


def soft_hyphenated(text: str, *, every: int = 4) -> str:
    """Soft hyphens inside every word of 10 letters or more, so justified lines break within words."""
    words = []
    for word in text.split(" "):
        if len(word) >= 10 and word.isalpha():
            word = "&shy;".join(word[i : i + every] for i in range(0, len(word), every))
        else:
            word = html.escape(word)
        words.append(word)
    return " ".join(words)


def article_html(title: str, paragraphs: list[str], *, layout: str, date: str = "") -> str:
    """The article as a printable page in one of `LAYOUTS`."""
    render = soft_hyphenated if layout == "indented" else html.escape
    body = "".join(f"<p>{render(p)}</p>" for p in paragraphs)
    byline = f"<p class=date>{html.escape(date)}</p>" if date else ""
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<style>{_STYLES[layout]}</style></head><body><h1>{html.escape(title)}</h1>{byline}"
        f"<div class=body>{body}</div></body></html>"
    )


def print_pdf(browser, page_html: str, path: Path, *, running: str | bool) -> Path:
    """Print `page_html` to `path` as A4, with a running header (the `running` title) and footer
    (page numbers) unless `running` is False."""
    page = browser.new_page()
    try:
        page.set_content(page_html)
        page.pdf(
            path=str(path),
            format="A4",
            display_header_footer=running is not False,
            header_template=_HEADER.format(title=html.escape(str(running))),
            footer_template=_FOOTER,
            margin={"top": "2cm", "bottom": "2cm", "left": "2cm", "right": "2cm"},
        )
    finally:
        page.close()
    return path
