"""PDF articles: paragraphs rebuilt from lines, furniture dropped, and real PDFs asked about.

The rules run on hand-made lines (fast); real PDFs are printed by Chromium (`tests/pdfs.py`), one
and two columns, read through the build's own readers and asked about with the real model.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from embeddings.articles import Article, Skipped, read_file
from embeddings.pdf import PdfLine, PdfPage, article_from_pages, drop_furniture, join_lines, rebuild_paragraphs
from embeddings.store import ParagraphStore
from qa.answer import Answerer
from qa.retrieve import Retriever
from tests.conftest import quiet_build
from tests.pdfs import article_html, print_pdf

HEIGHT = 842.0  # A4, in points


def body_line(text: str, top: float, *, x0: float = 60.0, size: float = 11.0) -> PdfLine:
    """A line as a PDF sets it: 11 pt type, each character half as wide as the type is high."""
    return PdfLine(text, x0, x0 + 0.5 * size * len(text), top, top + size, size)


def lines_of(*texts: str, top: float = 100.0, pitch: float = 14.0, **layout) -> list[PdfLine]:
    return [body_line(text, top + number * pitch, **layout) for number, text in enumerate(texts)]


def page(number: int, lines: list[PdfLine]) -> PdfPage:
    return PdfPage(number, HEIGHT, tuple(lines))


def texts(pages: list[PdfPage]) -> list[str]:
    return [p.text for p in rebuild_paragraphs(pages)]


def test_a_wider_gap_an_indent_and_a_line_ending_with_room_to_spare_each_start_a_paragraph():
    gap = lines_of("The harbour opened in 1890 and the old town grew", "around it.")
    gap += lines_of("Fishing boats left the harbour at dawn on every", "day of the year.", top=145.0)
    indent = [body_line("Ferries came later and ran to the islands", 175.0, x0=76.0)]
    indent += lines_of("twice a day in summer, once in winter.", top=189.0)
    room = lines_of("The last ferry sailed in 1971.", "Trains had replaced it by then.", top=203.0)
    assert texts([page(1, gap + indent + room)]) == [
        "The harbour opened in 1890 and the old town grew around it.",
        "Fishing boats left the harbour at dawn on every day of the year.",
        "Ferries came later and ran to the islands twice a day in summer, once in winter.",
        "The last ferry sailed in 1971.",
        "Trains had replaced it by then.",
    ]


def test_a_paragraph_runs_on_across_a_column_and_a_page_unless_a_sentence_ended_there():
    first_column = lines_of("The council met on Monday and voted", "to keep the")
    second_column = lines_of("lighthouse lit all night.", x0=310.0)
    next_page = lines_of("A new keeper starts in May.")
    assert texts([page(1, first_column + second_column), page(2, next_page)]) == [
        "The council met on Monday and voted to keep the lighthouse lit all night.",
        "A new keeper starts in May.",
    ]
    assert [p.page for p in rebuild_paragraphs([page(1, first_column + second_column), page(2, next_page)])] == [1, 2]


@pytest.mark.parametrize(
    ("lines", "joined"),
    [
        (["the manufac-", "turing sector"], "the manufacturing sector"),  # neither half is a word here
        (["a London-", "based agent", "London was"], "a London-based agent London was"),  # "London" is a word
        (["the sea-", "wall", "seawall"], "the seawall seawall"),  # the document writes it as one word
        (["soft\xad", "ware"], "software"),
        (["Atlantic -", "Pacific"], "Atlantic - Pacific"),  # a dash between words, not a broken word
        (["a box-", "office hit"], "a box-office hit"),  # two English words, not one
        (["twenty-", "six-year-old"], "twenty-six-year-old"),
        (["Lewis-", "Francis ran"], "Lewis-Francis ran"),  # a capital: a name of two parts
        (["a con-", "tinued run"], "a continued run"),  # one English word
    ],
)
def test_a_word_hyphenated_at_a_line_end_is_joined_when_it_is_one_word(lines: list[str], joined: str):
    vocabulary = {"london", "was", "seawall", "agent", "the", "sector", "a", "hit", "run", "ran"}
    english = frozenset({"box", "office", "twenty", "six", "lewis", "francis", "continued", "based", "software"})
    assert join_lines(lines, vocabulary, dictionary=english) == joined


def test_running_headers_footers_page_numbers_and_contents_lines_are_dropped():
    pages = []
    for number in (1, 2, 3):
        header = PdfLine("Harbour Report · Example Times", 200, 400, 20, 28, 8.0)
        footer = PdfLine(f"Page {number} of 3", 270, 320, 815, 823, 8.0)
        folio = PdfLine(str(number), 290, 300, 790, 801, 11.0)
        body = lines_of(f"Body text of page {number} runs across the whole column.", top=120.0)
        contents = [body_line("2.1 Ferries . . . . . . . . . . 5", 300.0)] if number == 1 else []
        pages.append(page(number, [header, *body, *contents, folio, footer]))
    kept = [line.text for p in drop_furniture(pages) for line in p.lines]
    assert kept == [f"Body text of page {n} runs across the whole column." for n in (1, 2, 3)]


def test_the_title_and_date_come_from_the_first_lines_when_the_metadata_has_none():
    lines = [PdfLine("Harbour bridge reopens", 60, 300, 60, 84, 24.0), body_line("2024-05-03", 100.0)]
    lines += lines_of("The bridge reopened on Tuesday after two years of repairs.", top=128.0)
    article = article_from_pages(
        [page(1, lines)], metadata_title="Microsoft Word - draft3.docx", metadata_date_text="D:20240601",
        article_id="a", path="a.pdf",
    )  # fmt: skip
    assert (article.title, article.date, article.paragraphs, article.pages) == (
        "Harbour bridge reopens",
        "2024-05-03",
        ("The bridge reopened on Tuesday after two years of repairs.",),
        (1,),
    )
    dated = article_from_pages([page(1, lines[2:])], metadata_title="Bridge", metadata_date_text="D:20240601",
                               article_id="a", path="a.pdf")  # fmt: skip
    assert (dated.title, dated.date) == ("Bridge", "2024-06-01")


def test_a_pdf_that_is_not_one_says_so_in_one_line(tmp_path: Path):
    broken = tmp_path / "report.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not really a PDF\n")
    [skipped] = read_file(broken, relative_path="report.pdf")
    assert isinstance(skipped, Skipped) and "not a readable PDF" in skipped.reason and "\n" not in skipped.reason


def test_a_store_written_before_page_numbers_reads_as_having_none(tmp_path: Path):
    store = ParagraphStore(tmp_path / "store.sqlite", create=True)
    store.write_article(0, Article(id="a", title="A", paragraphs=("x",), path="a.pdf", pages=(3,)), 0, 1)
    store.commit()
    assert next(store.articles()).article.pages == (3,)
    store.connection.execute("ALTER TABLE articles DROP COLUMN pages")
    store.connection.commit()
    store.close()
    assert next(ParagraphStore(tmp_path / "store.sqlite").articles()).article.pages == ()


# Real PDFs, printed by Chromium: an article long enough for two pages in one column, each paragraph distinct.
TITLE = "Harbour town keeps its lighthouse"
PARAGRAPHS = [
    "The council of Porthmellow voted on Monday to keep the lighthouse on Gull Point lit every night, "
    "reversing a plan to switch it off at the end of the summer.",
    "The lighthouse was built in 1868 by the engineer Hester Trelawny, who also designed the town's "
    "granite harbour wall and the lifeboat station beside it.",
    "Its lamp is now electric, but the original clockwork that turned the lens is kept in working order "
    "by volunteers, who wind it once a year on the anniversary of its first lighting.",
    "Fishing crews had argued that satellite navigation cannot replace a light that can be seen from "
    "the water when instruments fail in a storm.",
    "The cost of running the light, about 14,000 pounds a year, will be met by a harbour levy on visiting "
    "yachts, which rose to record numbers last year.",
    "A new keeper, the first since 1979, will start in May and will also open the tower to visitors on "
    "weekends between Easter and October.",
    "The lifeboat crew welcomed the decision, saying the light had guided them home on three rescues "
    "in the past winter alone.",
    "Schools in the town will visit the lighthouse as part of a local history project on the harbour, "
    "which was once the busiest pilchard port on the coast.",
]
DISTINCT = [f"{text} It was point {n} of the council's report." for n, text in enumerate(PARAGRAPHS * 4, start=1)]


@pytest.fixture(scope="module")
def printed(browser, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An articles folder of the article printed in one column and in two, and a scan with no text layer."""
    folder = tmp_path_factory.mktemp("pdf-articles")
    for layout in ("one-column", "two-column"):
        html = article_html(TITLE, DISTINCT, layout=layout, date="2024-05-03")
        print_pdf(browser, html, folder / f"{layout}.pdf", running=TITLE)
    picture = browser.new_page()
    picture.set_content(f"<p style='font-size:30px'>{PARAGRAPHS[0]}</p>")
    image = base64.b64encode(picture.screenshot()).decode()
    picture.close()
    print_pdf(browser, f"<img src='data:image/png;base64,{image}'>", folder / "scan.pdf", running=False)
    return folder


@pytest.mark.browser
@pytest.mark.parametrize("layout", ["one-column", "two-column"])
def test_a_printed_pdf_reads_as_its_paragraphs_with_page_numbers_and_no_furniture(printed: Path, layout: str):
    [article] = read_file(printed / f"{layout}.pdf", relative_path=f"{layout}.pdf")
    assert isinstance(article, Article), article
    assert (article.title, article.date, article.paragraphs) == (TITLE, "2024-05-03", tuple(DISTINCT))
    assert article.pages[0] == 1 and article.pages[-1] >= 2 and list(article.pages) == sorted(article.pages)
    assert not any("Example Times" in p or "Page 1" in p for p in article.paragraphs)


@pytest.mark.browser
def test_a_scanned_pdf_is_skipped_with_one_line_saying_to_run_ocr(printed: Path):
    [skipped] = read_file(printed / "scan.pdf", relative_path="scan.pdf")
    assert isinstance(skipped, Skipped) and "no text layer" in skipped.reason and "OCR" in skipped.reason


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("layout", ["one-column", "two-column"])
def test_questions_about_a_pdf_are_answered_from_its_body(
    printed: Path, layout: str, encoder, question_encoder, tmp_path: Path
):
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "lighthouse.pdf").write_bytes((printed / f"{layout}.pdf").read_bytes())
    report = quiet_build(articles, tmp_path / "index", encoder)
    assert report.paragraphs == len(DISTINCT) and report.skipped == []
    answerer = Answerer(Retriever(tmp_path / "index", encoder=question_encoder))
    reply = answerer.ask("Who built the lighthouse?")
    quoted = reply.passages[reply.answer_passage]
    assert reply.found and "Hester Trelawny" in quoted.text and quoted.article == "lighthouse.pdf"
    assert "Trelawny" in quoted.text[slice(*reply.passages[reply.answer_passage].phrase)]
    cited = " ".join(p.text for p in answerer.ask("Which newspaper printed this, and on what page?").passages)
    assert "Example Times" not in cited and "Page 1 of" not in cited
