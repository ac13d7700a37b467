"""What the chat page's events do: answering, votes, uploads, the library and the conversation kept
in the browser. The layout (webui/page.py) only wires these to its components; answering itself
lives in `qa`, indexing in `embeddings`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import gradio as gr  # webui/__init__.py has turned Gradio's analytics off

from embeddings.build import IndexKept, build_index
from embeddings.encoder import Encoder
from embeddings.index import BuildInProgress
from embeddings.uploads import save_pasted, save_upload
from qa.answer import Answerer
from qa.feedback import FeedbackLog, FeedbackNotSaved
from qa.library import LibraryEntry, Restriction, library
from webui.render import escape_markdown, reader_html, reply_markdown, sources_html

KEPT_REPLIES = 50  # replies the browser keeps for votes; older answers can no longer be voted on
LIBRARY_ROWS = 200  # articles the library table shows at once; the search box finds the others
READER_EMPTY = '<div class="reader-empty">Click a source to read its whole article here.</div>'


@dataclass(frozen=True)
class Narrowing:
    """The library controls' values as the page sends them: chosen articles, source, date range."""

    articles: list[str] | None
    source: str | None
    date_from: str | None
    date_to: str | None

    def restriction(self) -> Restriction:
        return Restriction(
            tuple(self.articles or ()), self.source or "", (self.date_from or "").strip(), (self.date_to or "").strip()
        )


@dataclass(frozen=True)
class PastedArticle:
    """What a reader dropped or pasted into "Add articles"."""

    files: list[str] | None
    title: str | None
    text: str | None


def parse_citation(raw: str) -> dict | None:
    """A citation sent by the page (untrusted): article id, paragraph, part, highlight and phrase spans."""
    try:
        citation = json.loads(raw)
        spans = (citation.get("highlight"), citation.get("phrase"))
        valid = (
            isinstance(citation.get("article"), str)
            and isinstance(citation.get("paragraph"), int)
            and isinstance(citation.get("part", 1), int)
            and all(s is None or (isinstance(s, list) and [type(x) for x in s] == [int, int]) for s in spans)
        )
    except (ValueError, AttributeError):
        return None
    return citation if valid else None


def message_text(message: dict) -> str:
    """The text of a chat message, whether Gradio holds it as a string or as content parts."""
    content = message.get("content", "")
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else [content]
    return " ".join(p.get("text", "") for p in parts if isinstance(p, dict))


def fresh_conversation() -> dict:
    """What the browser keeps of a conversation: its messages, the reply behind each answer
    (keyed by message position, for votes) and the last sources panel."""
    return {"messages": [], "replies": {}, "sources": ""}


def library_rows(entries: list[LibraryEntry], search: str) -> list[list]:
    """The library table: articles whose title, source or date contain `search`."""
    needle = search.casefold().strip()
    found = [e for e in entries if needle in f"{e.title} {e.source} {e.date}".casefold()]
    return [[e.title, e.source, e.date, e.paragraphs] for e in found[:LIBRARY_ROWS]]


def restriction_line(restriction: Restriction, entries: list[LibraryEntry]) -> str:
    if not restriction:
        return "Searching the one article." if len(entries) == 1 else f"Searching all {len(entries)} articles."
    return restriction.describe({e.id: e.title for e in entries}) + "."


class PageHandlers:
    """The page's event handlers over one answerer, its votes log and (if uploads are on) its folder."""

    def __init__(self, answerer: Answerer, feedback: FeedbackLog, articles_dir: Path | None) -> None:
        self.answerer = answerer
        self.feedback = feedback
        self.articles_dir = articles_dir
        self._builder: list[Encoder] = []  # the build's model, loaded at the first upload only

    def entries(self) -> list[LibraryEntry]:
        return library(self.answerer.retriever.current_index())

    def respond(self, message: str, history: list[dict], k: float, saved: dict, *narrowing):
        history = list(history or [])
        earlier = [message_text(m) for m in history if m.get("role") == "user"]
        restriction = Narrowing(*narrowing).restriction()
        reply = self.answerer.ask(message or "", k=int(k), earlier=earlier, restriction=restriction)
        if reply.question:
            history.append({"role": "user", "content": reply.question})
        history.append({"role": "assistant", "content": reply_markdown(reply)})
        sources = sources_html(reply)
        replies = dict(list((saved or {}).get("replies", {}).items())[-(KEPT_REPLIES - 1) :])
        replies[str(len(history) - 1)] = reply.to_json()
        return history, sources, "", {"messages": history, "replies": replies, "sources": sources}

    def describe(self, *narrowing) -> str:
        return restriction_line(Narrowing(*narrowing).restriction(), self.entries())

    def search_library(self, search: str) -> list[list]:
        return library_rows(self.entries(), search or "")

    def refresh_library(self, search: str, *narrowing):
        """The library as the live index has it (a rebuild may have changed it since the page was built)."""
        listed = self.entries()
        sources = sorted({e.source for e in listed if e.source})
        return (
            library_rows(listed, search or ""),
            gr.update(choices=[(e.title, e.id) for e in listed]),
            gr.update(choices=[("any source", ""), *[(s, s) for s in sources]]),
            restriction_line(Narrowing(*narrowing).restriction(), listed),
        )

    def add_articles(
        self,
        files: list[str] | None,
        pasted_title: str,
        pasted_text: str,
        search: str,
        *narrowing,
        progress=gr.Progress(track_tqdm=True),  # noqa: B008 - Gradio passes its progress bar in here
    ):
        added = PastedArticle(files, pasted_title, pasted_text)
        folder = self.articles_dir
        uploads = [save_upload(folder, Path(f).name, Path(f).read_bytes()) for f in added.files or []]
        if (added.title or "").strip() or (added.text or "").strip():
            uploads.append(save_pasted(folder, added.title or "", added.text or ""))
        lines = [escape_markdown(str(upload)) for upload in uploads] or ["Choose files, or paste a title and text."]
        if any(upload.saved for upload in uploads):
            progress(0, desc="indexing")
            if not self._builder:
                self._builder.append(Encoder(self.answerer.retriever.current_index().manifest.model))
            try:
                report = build_index(
                    folder, self.answerer.retriever.index_dir, encoder=self._builder[0], log=lambda _: None
                )
                lines.append(escape_markdown(report.summary()) + "; ask about them now.")
            except BuildInProgress:
                lines.append("Saved; another build is running, and the next one indexes them.")
            except IndexKept as kept:
                lines.append(escape_markdown(f"Saved, but not indexed: {kept}"))
        return ("  \n".join(lines), None, "", "", *self.refresh_library(search, *narrowing))

    def restore(self, saved: dict):
        saved = saved or fresh_conversation()
        return saved.get("messages", []), saved.get("sources") or sources_html(None)

    def clear(self):
        return [], sources_html(None), "", fresh_conversation(), gr.update(visible=False), "", READER_EMPTY

    def vote(self, saved: dict, like: gr.LikeData):
        reply = (saved or {}).get("replies", {}).get(str(like.index))
        if reply is None or like.liked not in (True, False):
            return gr.update(), gr.update(), ""
        try:
            vote_id = self.feedback.add_vote(reply, liked=like.liked)
        except FeedbackNotSaved as refused:
            gr.Warning(f"Your vote was not recorded: {refused}.")
            return gr.update(visible=False), gr.update(), ""
        thanks = "Thanks: your vote is recorded." + ("" if like.liked else " What was wrong? (optional)")
        return gr.update(visible=True), gr.update(value="", placeholder=thanks), vote_id

    def open_reader(self, raw: str):
        citation = parse_citation(raw or "")
        if citation is None:
            return READER_EMPTY
        return reader_html(self.answerer.retriever.article(citation["article"]), citation)

    def send_comment(self, comment: str, vote_id: str):
        if vote_id:
            try:
                self.feedback.add_comment(vote_id, comment or "")
            except FeedbackNotSaved as refused:
                gr.Warning(f"Your comment was not recorded: {refused}.")
        return gr.update(visible=False), gr.update(value=""), ""
