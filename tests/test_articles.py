"""Reading articles: the seed's shape, every supported format, duplicates."""

from __future__ import annotations

import json
from pathlib import Path

from embeddings.articles import Article, Skipped, parse_plain_text, read_articles, read_file
from tests.conftest import SEED_FILE

DATA = Path(__file__).parent / "data"


def test_seed_yields_title_and_its_eight_body_paragraphs_without_furniture():
    article = parse_plain_text(SEED_FILE.read_text(encoding="utf-8"), article_id="seed", path="seed")
    assert article.title == "Xi, Putin show united front amid tensions with West"
    assert len(article.paragraphs) == 8
    assert article.paragraphs[0].startswith("PanARMENIAN.Net - Chinese President Xi Jinping")
    assert article.paragraphs[-1].startswith("“They really have been trying to convey a united front")
    text = " ".join(article.paragraphs)
    for furniture in ("Top stories", "Partner news", "Azerbaijani troops", "earthquake", "---"):
        assert furniture not in text
    assert article.title not in article.paragraphs


def test_html_news_page_keeps_the_article_and_its_metadata_and_drops_the_rest():
    [article] = read_file(DATA / "news_page.html", relative_path="news_page.html")
    assert isinstance(article, Article)
    assert article.title == "Harbour bridge reopens after repairs"
    assert article.author == "Maria Lopes"
    assert article.date == "2024-03-12"
    assert article.source == "Coastal Herald"
    assert len(article.paragraphs) == 3
    assert article.paragraphs[1].startswith("Engineers replaced 140 corroded cable strands")
    text = " ".join(article.paragraphs)
    for boilerplate in ("tracker", "Subscribe", "Storm warning", "Privacy policy", "font-family", "alert"):
        assert boilerplate not in text


def test_markdown_front_matter_title_and_inline_markup(tmp_path: Path):
    file = tmp_path / "note.md"
    file.write_text(
        "---\ntitle: River levels\ndate: 2024-05-01\nsource: Valley News\n---\n\n"
        "# River levels\n\nThe river rose **two metres** overnight, [officials](http://x.example) said.\n\n"
        "## Outlook\n\nMore rain is expected on *Thursday*.\n",
        encoding="utf-8",
    )
    [article] = read_file(file, relative_path="note.md")
    assert article.title == "River levels"
    assert article.date == "2024-05-01" and article.source == "Valley News"
    assert article.paragraphs == (
        "The river rose two metres overnight, officials said.",
        "Outlook",
        "More rain is expected on Thursday.",
    )


def test_json_list_and_json_lines_records_keep_ids_and_metadata(tmp_path: Path):
    (tmp_path / "a.json").write_text(
        json.dumps(
            [
                {
                    "id": "wire-1",
                    "title": "Rates held",
                    "text": "The bank held rates.\n\nMarkets rose.",
                    "url": "http://n.example/1",
                    "source": "Wire",
                },
                {"title": "No id", "paragraphs": ["First.", "Second."], "date": "2024-01-02"},
            ]
        ),
        encoding="utf-8",
    )
    (tmp_path / "b.jsonl").write_text(
        '{"id": "l-1", "title": "Line one", "text": "Alpha paragraph."}\n'
        "{not json}\n"
        '{"title": "Line three", "paragraphs": ["Gamma paragraph."]}\n',
        encoding="utf-8",
    )
    items = list(read_articles(tmp_path))
    articles = {a.id: a for a in items if isinstance(a, Article)}
    skipped = [s for s in items if isinstance(s, Skipped)]
    assert articles["wire-1"].paragraphs == ("The bank held rates.", "Markets rose.")
    assert articles["wire-1"].url == "http://n.example/1" and articles["wire-1"].source == "Wire"
    assert articles["l-1"].title == "Line one"
    no_id = next(a for a in articles.values() if a.title == "No id")
    assert no_id.id.startswith("a.json#") and no_id.date == "2024-01-02"
    assert any(a.title == "Line three" for a in articles.values())
    assert [str(s) for s in skipped] == [
        "skipped b.jsonl line 2: malformed JSON: Expecting property name enclosed in double quotes"
    ]
    # ids are stable: reading again gives the same ones
    assert {a.id for a in read_articles(tmp_path) if isinstance(a, Article)} == set(articles)


def test_duplicate_articles_are_indexed_once(tmp_path: Path):
    text = SEED_FILE.read_text(encoding="utf-8")
    (tmp_path / "one.txt").write_text(text, encoding="utf-8")
    (tmp_path / "two.txt").write_text(text, encoding="utf-8")
    items = list(read_articles(tmp_path))
    assert [a.id for a in items if isinstance(a, Article)] == ["one.txt"]
    assert [str(s) for s in items if isinstance(s, Skipped)] == ["skipped two.txt: duplicate of one.txt; indexed once"]
