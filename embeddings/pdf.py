"""PDF articles: text lines rebuilt into the paragraphs a reader sees.

A PDF has no paragraphs, only positioned characters. pdfium (pypdfium2) reads them with their
boxes and type sizes, cut into lines in the order the document draws them, which is the reading
order for what word processors, LaTeX and browsers write (a two-column page: down the first
column, then the second). `benchmarks/pdf_extraction.py` compares it with pdfminer.six, PyMuPDF
and pypdf. The rules here rebuild paragraphs from the lines' positions, as a reader's eye does:

- A line starts a paragraph after a larger gap than the text's own line spacing, when its type
  size changes (a heading), when it is indented against its column, or when its first word would
  have fitted at the end of the line above (so that line ended by choice, not for want of room).
- A paragraph runs on across a column or page break unless the line before ended a sentence.
- A word hyphenated at a line end is joined again when it is one word, by the document's own words
  and English ones (see `join_lines`).
- Running headers and footers are dropped: lines in a page's top or bottom margin band that are
  page numbers, repeat on at least half the pages, or are set smaller than the body text. So are
  table-of-contents lines ("2.1 Setup . . . . 5").

The title is the document's metadata title, else the largest type on the first page; a date line
at the top becomes the article's date. Each paragraph keeps the page it starts on.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from embeddings.articles import Article, UnreadableFile, normalise_space
from embeddings.encoder import packaged_model_path

MARGIN_BAND = 0.12  # top and bottom share of a page where running headers and footers sit
_CONTENTS_LINE = re.compile(r"(\s?\.){4,}\s*(\d+|[ivxlcdm]+)$", re.I)  # "2.1 Setup . . . . 5"
_DASHES = "-\u2013\u2014"  # hyphen, en dash, em dash
_PAGE_NUMBER = re.compile(rf"^(page\s*)?[{_DASHES}(\[]?\s*(\d+|[ivxlcdm]+)\s*[{_DASHES})\]]?(\s*(of|/)\s*\d+)?$", re.I)
_SENTENCE_END = re.compile("[.!?:;][\"'\u2019\u201d)\\]]*$")  # closing quotes and brackets may follow
_DATE_LINE = re.compile(
    r"^(\d{4}-\d{2}-\d{2}|\d{1,2} [A-Z][a-z]+ \d{4}|[A-Z][a-z]+ \d{1,2}, \d{4})"
    r"(\s*[·|,-]?\s*\d{1,2}:\d{2}(\s*[A-Z]{2,4})?)?$"
)
_METADATA_DATE = re.compile(r"^D?:?(\d{4})(\d{2})?(\d{2})?")
_JUNK_TITLE = re.compile(  # what tools put in the title field when the author did not
    r"^(untitled|microsoft (word|powerpoint)|document\d*$|about:blank$|https?://)|\.(docx?|pdf|tex|indd)$", re.I
)


@dataclass(frozen=True)
class PdfLine:
    """One line of text where it sits on its page: points from the top-left corner, and its type size."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


@dataclass(frozen=True)
class PdfPage:
    """A page's lines in reading order."""

    number: int  # 1-based
    height: float
    lines: tuple[PdfLine, ...]


@dataclass(frozen=True)
class PdfParagraph:
    text: str
    page: int


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.casefold())


def body_size(pages: list[PdfPage]) -> float:
    """The type size most of the text is set in (weighted by characters)."""
    sizes = Counter[float]()
    for page in pages:
        for line in page.lines:
            sizes[round(line.size, 1)] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def drop_furniture(pages: list[PdfPage]) -> list[PdfPage]:
    """The pages without their running headers, footers and page numbers (see the module docstring)."""
    size = body_size(pages)

    def in_band(page: PdfPage, line: PdfLine) -> bool:
        return line.bottom < page.height * MARGIN_BAND or line.top > page.height * (1 - MARGIN_BAND)

    repeats = Counter[str]()
    for page in pages:
        repeats.update({_furniture_key(line.text) for line in page.lines if in_band(page, line)})
    common = max(2, (len(pages) + 1) // 2)

    def is_furniture(page: PdfPage, line: PdfLine) -> bool:
        if _CONTENTS_LINE.search(line.text):
            return True
        return in_band(page, line) and (
            _PAGE_NUMBER.match(line.text) is not None
            or repeats[_furniture_key(line.text)] >= common
            or line.size < size * 0.85
        )

    return [
        PdfPage(page.number, page.height, tuple(line for line in page.lines if not is_furniture(page, line)))
        for page in pages
    ]


_LINE_END_HYPHEN = re.compile(r"(\w+)[-\u2010\xad]$")


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """About 22,000 common English words: the whole words of the packaged model's word-piece vocabulary."""
    with open(packaged_model_path() / "vocab.txt", encoding="utf-8") as vocabulary:
        return frozenset(word for word in map(str.strip, vocabulary) if word.isalpha() and word.isascii())


def join_lines(lines: list[str], vocabulary: set[str], *, dictionary: frozenset[str] | None = None) -> str:
    """Lines into one paragraph, a word hyphenated at a line end joined when it is one word.

    PDFs do not say whether a line-end hyphen was put in to break a word or belongs to it ("box-office"),
    so words decide: joined when the document (`vocabulary`) or English (`dictionary`) knows the joined
    word ("manufac-" "turing"); kept when the document uses either half as a word of its own
    ("London-" "based"), when both halves are English words ("box-" "office", "twenty-" "six"), or
    when the second starts with a capital ("Lewis-" "Francis"); else joined.
    """
    dictionary = english_words() if dictionary is None else dictionary
    text = ""
    for line in lines:
        head = _LINE_END_HYPHEN.search(text)
        tail = re.match(r"[^\W\d_]\w*", line)
        if not text:
            text = line
        elif head and tail:
            first, second = head.group(1).casefold(), tail.group(0)
            joined = first + second.casefold()
            keep = second[0].isupper() or (
                joined not in vocabulary
                and joined not in dictionary
                and (first in vocabulary or second in vocabulary or {first, second.casefold()} <= dictionary)
            )
            text = f"{text[:-1]}{'-' if keep else ''}{line}"
        else:
            text = f"{text} {line}"
    return text


def document_words(pages: list[PdfPage]) -> set[str]:
    """The document's words, leaving out the pieces of words hyphenated at line ends."""
    words: set[str] = set()
    broken = False
    for page in pages:
        for line in page.lines:
            found = re.findall(r"\w+", line.text.casefold())
            ends_broken = _LINE_END_HYPHEN.search(line.text) is not None
            words.update(found[int(broken) : len(found) - int(ends_broken)])
            broken = ends_broken
    return words


def _line_pitch(pages: list[PdfPage]) -> float:
    """The usual distance from one line's top to the next one's, within a paragraph."""
    pitches = [
        b.top - a.top
        for page in pages
        for a, b in zip(page.lines, page.lines[1:], strict=False)
        if 0 < b.top - a.top < 3 * max(a.size, 1.0) and abs(a.size - b.size) < 0.5
    ]
    return statistics.median(pitches) if pitches else 0.0


def _column_right(page: PdfPage, line: PdfLine) -> float:
    """The right edge of the column `line` is in: the furthest end of a line in its type starting near it."""
    return max(
        (o.x1 for o in page.lines if abs(o.x0 - line.x0) <= 2 * line.size and abs(o.size - line.size) < 0.5),
        default=line.x1,
    )


def _is_indented(page: PdfPage, line: PdfLine) -> bool:
    """Whether other lines of the same column start a little further left (a first-line indent)."""
    return any(0.5 * line.size < line.x0 - other.x0 < 4 * line.size and other.x1 > line.x0 for other in page.lines)


def _next_word_fitted(page: PdfPage, above: PdfLine, line: PdfLine) -> bool:
    """Whether the line's first word had room at the end of the line above: then the break was meant."""
    first_word = line.text.split(" ", 1)[0]
    char_width = (line.x1 - line.x0) / max(len(line.text), 1)
    return _column_right(page, above) - above.x1 > 1.25 * (len(first_word) + 1) * char_width


def _starts_paragraph(page: PdfPage, above: PdfLine, line: PdfLine, pitch: float, *, moved: bool) -> bool:
    ended = _SENTENCE_END.search(above.text) is not None
    indented = _is_indented(page, line) and (moved or ended or line.x0 - above.x0 > 0.5 * line.size)
    if moved:  # a new column or page: the paragraph runs on unless a sentence ended there
        return indented or ended
    return (
        abs(line.size - above.size) > 0.15 * max(above.size, 1.0)
        or line.top - above.top > 1.3 * pitch
        or indented
        or _next_word_fitted(page, above, line)
    )


def rebuild_paragraphs(pages: list[PdfPage]) -> list[PdfParagraph]:
    """The paragraphs of the pages' lines (furniture already dropped), each with its first page."""
    pitch = _line_pitch(pages)
    words = document_words(pages)
    blocks: list[tuple[int, list[str]]] = []
    above: PdfLine | None = None
    for page in pages:
        for index, line in enumerate(page.lines):
            if above is None or _starts_paragraph(page, above, line, pitch, moved=index == 0 or line.top < above.top):
                blocks.append((page.number, []))
            blocks[-1][1].append(line.text)
            above = line
    paragraphs = (PdfParagraph(join_lines(lines, words).replace("\xad", ""), number) for number, lines in blocks)
    return [p for p in paragraphs if p.text]


def metadata_date(raw: str) -> str:
    """A PDF date ("D:20050301120000Z") as an ISO date, or "" when it is not one."""
    found = _METADATA_DATE.match(raw or "")
    return "-".join(part for part in found.groups() if part) if found else ""


def article_from_pages(
    pages: list[PdfPage], *, metadata_title: str, metadata_date_text: str, article_id: str, path: str
) -> Article:
    """The article of a PDF's pages: title, date and paragraphs with their pages."""
    if not any(page.lines for page in pages):
        raise UnreadableFile("no text layer (a scanned PDF?); run OCR on it first, e.g. with ocrmypdf")
    paragraphs = rebuild_paragraphs(drop_furniture(pages))
    title = normalise_space(metadata_title)
    if not title or _JUNK_TITLE.search(title):
        first = pages[0].lines or next(page.lines for page in pages if page.lines)
        largest = max(line.size for line in first)
        title = normalise_space(" ".join(line.text for line in first if line.size == largest))
    date = ""
    while paragraphs and len(paragraphs) > 1 and paragraphs[0].page == 1:
        if paragraphs[0].text.casefold() == title.casefold():
            paragraphs.pop(0)
        elif not date and _DATE_LINE.match(paragraphs[0].text):
            date = paragraphs.pop(0).text
        else:
            break
    if not paragraphs:
        raise UnreadableFile("no body paragraphs after the title")
    return Article(
        id=article_id,
        title=title,
        paragraphs=tuple(p.text for p in paragraphs),
        path=path,
        date=date or metadata_date(metadata_date_text),
        pages=tuple(p.page for p in paragraphs),
    )


def _text(value: str) -> str:
    """Ligatures and compatibility characters as plain letters ("ﬁ" as "fi"), white space folded."""
    return normalise_space(unicodedata.normalize("NFKC", value))


def read_pdf_pages(data: bytes) -> tuple[list[PdfPage], dict[str, str]]:
    """pdfium's lines of every page, in the order the document draws them, and its metadata."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:
        if "password" in str(error).casefold():
            raise UnreadableFile("the PDF is encrypted; save a copy without a password") from None
        raise UnreadableFile(f"not a readable PDF ({error}); open it and save it again as PDF") from None
    try:
        pages = [_page(document[index], index + 1) for index in range(len(document))]
        metadata = document.get_metadata_dict()
    finally:
        document.close()
    return pages, {key: metadata.get(key, "") for key in ("Title", "CreationDate")}


def _page(page, number: int) -> PdfPage:
    """One page's lines: pdfium's characters cut at its line breaks, with their boxes and type size."""
    import pypdfium2.raw as pdfium_c

    height = page.get_height()
    textpage = page.get_textpage()
    lines: list[PdfLine] = []
    text: list[str] = []
    boxes: list[tuple[float, float, float, float]] = []
    sizes: list[float] = []

    def end_line() -> None:
        line_text = _text("".join(text))
        if line_text and boxes:
            lefts, bottoms, rights, tops = zip(*boxes, strict=True)
            size = round(statistics.median(sizes), 1)
            lines.append(PdfLine(line_text, min(lefts), max(rights), height - max(tops), height - min(bottoms), size))
        text.clear()
        boxes.clear()
        sizes.clear()

    try:
        for index in range(textpage.count_chars()):
            char = chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, index))
            if char == "\n":
                end_line()
            elif char in "\x02\ufffe":  # pdfium's marks for a hyphen that ends a line
                text.append("-")
                end_line()
            else:
                text.append(char)
                if not char.isspace():
                    boxes.append(textpage.get_charbox(index))
                    sizes.append(pdfium_c.FPDFText_GetFontSize(textpage.raw, index))
        end_line()
    finally:
        textpage.close()
        page.close()
    return PdfPage(number, height, tuple(lines))


def parse_pdf(data: bytes, *, article_id: str, path: str) -> Article:
    """A PDF file's article, or `UnreadableFile` saying why there is none."""
    pages, metadata = read_pdf_pages(data)
    return article_from_pages(
        pages,
        metadata_title=metadata.get("Title", ""),
        metadata_date_text=metadata.get("CreationDate", ""),
        article_id=article_id,
        path=path,
    )
