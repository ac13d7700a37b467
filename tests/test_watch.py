"""A watched folder: each settled change is indexed, told in articles, and shown on the page."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from embeddings.watch import FolderChange, FolderWatcher, article_versions
from tests.conftest import quiet_build, running_app

WAIT_SECONDS = 15.0


def town_file(folder: Path, town: str, *, says: str = "") -> Path:
    text = f"News from {town}\n\n{town} opened a new library on Monday. {says}\n\nThe mayor of {town} cut the ribbon.\n"
    path = folder / f"{town.lower()}.txt"
    path.write_text(text, encoding="utf-8")
    return path


def next_change(watcher: FolderWatcher, after: int) -> FolderChange:
    """The watcher's first change numbered beyond `after`, waiting for it."""
    deadline = time.monotonic() + WAIT_SECONDS
    while watcher.latest[0] <= after:
        assert time.monotonic() < deadline, "the watcher did not index the change"
        time.sleep(0.05)
    return watcher.latest[1]


def test_each_settled_change_is_indexed_and_told_in_articles(articles_dir: Path, tmp_path: Path, stand_in):
    index = tmp_path / "index"
    quiet_build(articles_dir, index, stand_in)
    seed_ids = set(article_versions(index))
    with FolderWatcher(articles_dir, index, stand_in, debounce_ms=200) as watcher:
        time.sleep(0.3)  # the watch is set up
        for town in ("Alton", "Barford", "Cawston"):
            town_file(articles_dir, town)
        added = next_change(watcher, 0)
        assert (added.added, added.updated, added.removed, str(added)) == (3, 0, 0, "3 articles added")
        assert set(article_versions(index)) == seed_ids | {"alton.txt", "barford.txt", "cawston.txt"}

        (articles_dir / ".alton.txt.swp").write_text("a hidden file is never an article")
        town_file(articles_dir, "Alton", says="It has a reading room.")
        (articles_dir / "cawston.txt").unlink()
        changed = next_change(watcher, 1)
        assert str(changed) == "1 article updated, 1 article removed"
        assert set(article_versions(index)) == seed_ids | {"alton.txt", "barford.txt"}
    assert watcher.latest[0] == 2


def test_a_change_that_cannot_be_indexed_says_why(articles_dir: Path, tmp_path: Path, stand_in):
    index = tmp_path / "index"
    quiet_build(articles_dir, index, stand_in)
    other = tmp_path / "other"
    other.mkdir()
    with FolderWatcher(other, index, stand_in, debounce_ms=200) as watcher:  # the index holds another folder
        time.sleep(0.3)
        town_file(other, "Dunmore")
        change = next_change(watcher, 0)
    assert change.problem and "--replace" in str(change) and str(change).startswith("The folder changed but")


@pytest.mark.slow
@pytest.mark.browser
def test_a_file_dropped_into_a_watched_folder_is_announced_and_answered_within_seconds(
    browser, articles_dir: Path, tmp_path: Path
):
    with running_app("--articles", str(articles_dir), "--index", str(tmp_path / "index"), "--watch") as url:
        page = browser.new_page()
        try:
            page.goto(url)
            page.wait_for_selector("#question textarea")
            town_file(articles_dir, "Eastwick", says="The librarian is Marta Okonjo.")
            town_file(articles_dir, "Fenwick")
            town_file(articles_dir, "Gorleston")
            written = time.monotonic()
            page.wait_for_function(
                "() => document.querySelector('#folder-news').innerText.includes('3 articles added')",
                timeout=WAIT_SECONDS * 1000,
            )
            announced = time.monotonic() - written
            page.fill("#question textarea", "Who is the librarian in Eastwick?")
            page.press("#question textarea", "Enter")
            phrase = page.locator("#chat blockquote strong").first
            phrase.wait_for()
            assert "Marta Okonjo" in phrase.inner_text()
        finally:
            page.close()
        assert announced < 10, f"announced {announced:.1f} s after the files were written"
