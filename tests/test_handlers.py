"""What the page's events do with what the browser sends them (untrusted)."""

from __future__ import annotations

from dataclasses import asdict

import gradio as gr
import pytest

from qa.answer import Answerer
from qa.feedback import FeedbackLog
from qa.library import LibraryEntry
from tests.site import Route, news_page, serving
from webui.handlers import Narrowing, PageHandlers, SourcePick, VotePick, library_checklist
from webui.stored import StoredConversation


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"turn": 2, "source": 1, "at": 17}', SourcePick(2, 1)),
        ('{"turn": 0, "source": 3}', SourcePick(0, 3)),
        ('{"turn": "0", "source": 3}', None),
        ('{"turn": true, "source": 3}', None),
        ('{"turn": 0}', None),
        ("[0, 3]", None),
        ("not json", None),
    ],
)
def test_a_source_picked_in_the_page_is_checked(raw: str, expected: SourcePick | None):
    assert SourcePick.parse(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"turn": 1, "vote": "up"}', VotePick(1, "up")),
        ('{"turn": 1, "vote": "down"}', VotePick(1, "down")),
        ('{"turn": 1, "vote": "<b>"}', None),
        ('{"vote": "up"}', None),
        ("", None),
    ],
)
def test_a_vote_sent_by_the_page_is_checked(raw: str, expected: VotePick | None):
    assert VotePick.parse(raw) == expected


def test_the_library_checklist_keeps_the_ticked_articles_first_and_counts_what_the_filters_find():
    entries = [
        LibraryEntry("a", "Alpha", "Wire", "2022-01-05", 3),
        LibraryEntry("b", "Beta", "", "", 1),
        LibraryEntry("c", "Gamma", "Wire", "2023-02-01", 2),
    ]
    update = library_checklist(entries, "gam", Narrowing(["a", "removed-by-a-rebuild"], "Wire", "", ""))
    assert update["choices"] == [
        ("Alpha · Wire · 2022-01-05 · 3 paragraphs", "a"),
        ("Gamma · Wire · 2023-02-01 · 2 paragraphs", "c"),
    ]
    assert update["value"] == ["a"]
    assert update["info"].startswith("2 of 3 articles.")
    assert library_checklist(entries, "", Narrowing([], "", "", ""))["info"].startswith("All 3 articles.")
    assert [label for label, _ in library_checklist(entries, "beta", Narrowing([], "", "", ""))["choices"]] == [
        "Beta · 1 paragraph"
    ]


def test_a_restore_that_runs_after_an_answer_leaves_the_newer_chat_alone(answerer: Answerer, tmp_path):
    """The page's restore can finish after a question typed straight after loading was answered."""
    handlers = PageHandlers(answerer, FeedbackLog(tmp_path / "votes.jsonl"), None)
    stored = StoredConversation().answered(answerer.ask("Where did Xi and Putin meet?")).dump()
    chat, sources, _ = handlers.restore(stored, [], False)
    assert "Beijing" in chat and "source-card" in sources
    assert handlers.restore(stored, [], True)[:2] == (gr.update(), gr.update())


def test_a_kept_restriction_is_restored_once_and_what_the_reader_chooses_is_kept(answerer: Answerer, tmp_path):
    """Gradio may run the page's load before the browser has read its storage (the empty default
    comes first): the restore runs again when the storage is read, and not once the restriction was
    restored or the reader chose one; a load with nothing kept leaves what the reader chose alone."""
    handlers = PageHandlers(answerer, FeedbackLog(tmp_path / "votes.jsonl"), None)
    [entry] = handlers.entries()
    kept = {"articles": [entry.id], "source": "", "date_from": "", "date_to": ""}
    *library, restored = handlers.restore_library("", {}, False)  # the load, before the storage was read
    assert library[0]["choices"] and "value" not in library[0] and restored is False  # what was ticked stays
    assert library[2:4] == [gr.skip()] * 2 and library[4].startswith("Searching")  # dates typed meanwhile stay
    *library, restored = handlers.restore_library("", kept, restored)  # the storage read
    assert library[0]["value"] == [entry.id] and restored is True
    assert handlers.restore_library("", {}, restored) == (*(gr.skip(),) * 5, True)  # once a page
    assert len(handlers.restore_library("", kept, False)) == 6  # as many outputs each way
    note, written, restored = handlers.describe([], "", "", "")  # the reader unticks it
    assert written == asdict(Narrowing([], "", "", "")) and restored is True and "only" not in note
    assert handlers.clear_narrowing("")[-2:] == (written, True)
    unchanged = handlers.search_all('{"turn": 0}', 5, StoredConversation().dump(), "")  # no such turn
    assert unchanged == (gr.update(),) * (4 + len(handlers.clear_narrowing("")))  # the answer shown, then those


def test_a_page_served_to_others_does_not_fetch_addresses_on_this_machine(answerer: Answerer, tmp_path):
    with serving(
        {"/news/pier": Route(news_page("Pier to be rebuilt", ["The pier will be rebuilt in oak."] * 9))}
    ) as site:
        handlers = PageHandlers(answerer, FeedbackLog(tmp_path / "votes.jsonl"), tmp_path, private_fetches=False)
        url = site.url("/news/pier")
        status = handlers.add_articles(None, "", "", url, "", [], "", "", "", progress=lambda *a, **k: None)[0]
        shown = status.replace("\\", "")  # the status is Markdown, its punctuation escaped
        assert shown.startswith(f"Not added: {url} (127.0.0.1 is on this machine or its private network")
        assert sum(site.requests.values()) == 0 and not (tmp_path / "web").exists()
