"""What the chat page's events do: answering, votes, uploads, the library and the conversation kept
in the browser. The layout (webui/page.py) only wires these to its components; answering itself
lives in `qa`, indexing in `embeddings`.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import gradio as gr  # webui/__init__.py has turned Gradio's analytics off

from embeddings.add import add_addresses
from embeddings.build import IndexKept, build_index
from embeddings.encoder import Encoder, ParagraphEncoder
from embeddings.index import BuildInProgress
from embeddings.uploads import Upload, save_pasted, save_upload
from embeddings.watch import FolderWatcher
from qa.answer import Answerer
from qa.feedback import FeedbackLog, FeedbackNotSaved
from qa.library import LibraryEntry, Restriction, library
from webui.render import (
    conversation_html,
    conversations_html,
    escape_markdown,
    reader_html,
    sources_html,
    welcome_html,
)
from webui.stored import VOTES, ConversationList, StoredConversation
from webui.welcome import example_questions, newest_first

LIBRARY_SHOWN = 200  # articles the library checklist shows at once; the search box finds the others
LIBRARY_OUTPUTS = 5  # what `Handlers._library` returns: checklist, source, dates from and to, restriction line
SEARCH_ALL_OUTPUTS = 4 + LIBRARY_OUTPUTS + 2  # `search_all`: the answer shown, then what `clear_narrowing` returns
READER_EMPTY = '<div class="reader-empty">Click a source to read its whole article here.</div>'
SOURCES_TAB, ARTICLE_TAB = "sources", "article"  # the panel's tabs an answer or a citation shows


@dataclass(frozen=True)
class Narrowing:
    """The library controls' values as the page sends them: chosen articles, source, date range."""

    articles: list[str] | None
    source: str | None
    date_from: str | None
    date_to: str | None

    @classmethod
    def load(cls, kept: object) -> Narrowing:
        """The narrowing the browser kept (untrusted): what is not of the right shape is dropped."""
        kept = kept if isinstance(kept, dict) else {}
        articles = kept.get("articles")
        text = {
            key: kept.get(key) if isinstance(kept.get(key), str) else "" for key in ("source", "date_from", "date_to")
        }
        chosen = [a for a in articles if isinstance(a, str)] if isinstance(articles, list) else []
        return cls(chosen, **text)

    def indexed_articles(self, entries: list[LibraryEntry]) -> list[str]:
        """The chosen articles still in the library: a rebuild may have removed some since."""
        known = {e.id for e in entries}
        return [a for a in self.articles or () if a in known]

    def restriction(self) -> Restriction:
        return Restriction(
            tuple(self.articles or ()), self.source or "", (self.date_from or "").strip(), (self.date_to or "").strip()
        )


def _sent(raw: str) -> dict:
    """What the page's script sent (untrusted JSON): an object, or an empty one."""
    try:
        sent = json.loads(raw or "")
    except ValueError:
        return {}
    return sent if isinstance(sent, dict) else {}


def _whole(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class SourcePick:
    """A citation or source card the reader clicked: answer `turn` (0-based), its source `number` (1-based)."""

    turn: int
    number: int

    @classmethod
    def parse(cls, raw: str) -> SourcePick | None:
        sent = _sent(raw)
        turn, number = _whole(sent.get("turn")), _whole(sent.get("source"))
        return None if turn is None or number is None else cls(turn, number)


@dataclass(frozen=True)
class VotePick:
    """A like ("up") or dislike ("down") on answer `turn`."""

    turn: int
    vote: str

    @classmethod
    def parse(cls, raw: str) -> VotePick | None:
        sent = _sent(raw)
        turn, vote = _whole(sent.get("turn")), sent.get("vote")
        return cls(turn, vote) if turn is not None and vote in VOTES else None


def article_label(entry: LibraryEntry) -> str:
    """One line of the library's checklist: title, then source and date where the article has them."""
    count = "1 paragraph" if entry.paragraphs == 1 else f"{entry.paragraphs} paragraphs"
    return " · ".join([entry.title, *(detail for detail in (entry.source, entry.date) if detail), count])


def library_checklist(entries: list[LibraryEntry], search: str, narrowing: Narrowing):
    """The library's checklist: the ticked articles, then those the search box and the source and
    date filters find (at most LIBRARY_SHOWN), with how many match in its caption."""
    ticked = set(narrowing.indexed_articles(entries))  # Gradio refuses a value not among the choices
    filters = replace(narrowing.restriction(), articles=())
    needle = search.casefold().strip()
    found = [
        e
        for e in entries
        if e.id not in ticked and filters.admits(e) and needle in f"{e.title} {e.source} {e.date}".casefold()
    ]
    shown = [e for e in entries if e.id in ticked] + found[:LIBRARY_SHOWN]
    matching = len(found) + len(ticked)
    counts = f"{matching} of {len(entries)} articles" if matching < len(entries) else f"All {len(entries)} articles"
    if len(found) > LIBRARY_SHOWN:
        counts += f", the first {LIBRARY_SHOWN} shown (search to find the others)"
    counts += ". Tick some to ask only them; the line under the question box says what is searched."
    return gr.update(choices=[(article_label(e), e.id) for e in shown], value=sorted(ticked), info=counts)


def _choices_only(update: dict) -> dict:
    """A control's update without its value: new choices, what the reader picked left alone."""
    return {key: value for key, value in update.items() if key != "value"}


def restriction_line(restriction: Restriction, entries: list[LibraryEntry]) -> str:
    if not restriction:
        return "Searching the one article." if len(entries) == 1 else f"Searching all {len(entries)} articles."
    return restriction.describe({e.id: e.title for e in entries}) + "."


class PageHandlers:
    """The page's event handlers over one answerer, its votes log and (if uploads are on) its folder."""

    def __init__(
        self,
        answerer: Answerer,
        feedback: FeedbackLog,
        articles_dir: Path | None,
        watcher: FolderWatcher | None = None,
        *,
        private_fetches: bool = True,
    ) -> None:
        self.answerer = answerer
        self.feedback = feedback
        self.articles_dir = articles_dir
        self.watcher = watcher
        self.private_fetches = private_fetches  # False on a page served to others: see embeddings/fetch.py
        self._builder: list[ParagraphEncoder] = []  # the build's model, loaded at the first upload only

    def entries(self) -> list[LibraryEntry]:
        return library(self.answerer.retriever.current_index())

    def conversation(self, stored: StoredConversation) -> str:
        """The conversation's HTML; before the first question, a welcome with examples from the library."""
        if stored.turns:
            return conversation_html(stored.turns, "")
        entries = self.entries()
        newest = newest_first(entries)
        opening = self.answerer.retriever.article(newest[0].id) if newest else None
        examples = example_questions(newest, opening.paragraphs if opening else [])
        return conversation_html([], welcome_html(len(entries), sum(e.paragraphs for e in entries), examples))

    def respond(self, question: str, k: float, saved: dict, *narrowing):
        """One answer: the conversation with it, its sources in the panel, the question box emptied,
        and the session marked as answered (see `restore`)."""
        stored = StoredConversation.load(saved)
        restriction = Narrowing(*narrowing).restriction()
        reply = self.answerer.ask(question or "", k=int(k), earlier=stored.earlier_questions(), restriction=restriction)
        stored = stored.answered(reply, narrowed=bool(restriction))
        sources = sources_html(reply, len(stored.turns) - 1)
        return self.conversation(stored), sources, "", stored.dump(), gr.Tabs(selected=SOURCES_TAB), True

    def search_all(self, raw: str, k: float, saved: dict, search: str):
        """A narrowed question that found nothing, asked again of every article; the library's
        narrowing is cleared, as the answer now comes from all of them."""
        stored = StoredConversation.load(saved)
        turn = stored.turn(_whole(_sent(raw).get("turn")))
        if turn is None or not turn.offers_all_articles:
            return (gr.update(),) * SEARCH_ALL_OUTPUTS
        reply = self.answerer.ask(turn.reply.question, k=int(k), earlier=stored.earlier_questions())
        stored = stored.answered(reply)
        sources = sources_html(reply, len(stored.turns) - 1)
        shown = self.conversation(stored), sources, stored.dump(), gr.Tabs(selected=SOURCES_TAB)
        return *shown, *self.clear_narrowing(search)

    def describe(self, *narrowing):
        """The restriction line as the reader narrowed the library, the narrowing for the browser to keep
        across reloads, and that a restriction was chosen (a storage read late must not undo it)."""
        chosen = Narrowing(*narrowing)
        return restriction_line(chosen.restriction(), self.entries()), asdict(chosen), True

    def search_library(self, search: str, *narrowing):
        """The checklist again, as the search box and the source and date filters now choose."""
        return library_checklist(self.entries(), search or "", Narrowing(*narrowing))

    def refresh_library(self, search: str, *narrowing):
        """The library as the live index has it (a rebuild may have changed it since the page was built)."""
        return self._library(search or "", Narrowing(*narrowing))

    def restore_library(self, search: str, kept: dict, restored: bool):
        """The library, narrowed as the browser kept it (articles no longer indexed left out), once a
        page. Run on load and again when the browser has read its storage, since Gradio may run the
        load before that and send the empty default; whether a restriction was restored is returned."""
        chosen = Narrowing.load(kept)
        if restored:
            return *(gr.skip(),) * LIBRARY_OUTPUTS, True  # the library's outputs stay as they are
        if not chosen.restriction():  # nothing kept: the lists as the index has them now; what the reader
            checklist, source, _, _, line = self._library(search or "", chosen)  # chose meanwhile stays chosen
            return _choices_only(checklist), _choices_only(source), gr.skip(), gr.skip(), line, False
        return *self._library(search or "", chosen), True

    def clear_narrowing(self, search: str):
        """Every article searched again: nothing ticked, no source or date bound, and the browser keeps that."""
        cleared = Narrowing([], "", "", "")
        return *self._library(search or "", cleared), asdict(cleared), True

    def _library(self, search: str, narrowing: Narrowing):
        listed = self.entries()
        sources = sorted({e.source for e in listed if e.source})
        chosen = Narrowing(
            narrowing.indexed_articles(listed),
            narrowing.source if narrowing.source in sources else "",
            narrowing.date_from or "",
            narrowing.date_to or "",
        )
        return (
            library_checklist(listed, search, chosen),
            gr.update(choices=[("any source", ""), *[(s, s) for s in sources]], value=chosen.source),
            chosen.date_from,
            chosen.date_to,
            restriction_line(chosen.restriction(), listed),
        )

    def add_articles(
        self,
        files: list[str] | None,
        pasted_title: str,
        pasted_text: str,
        addresses: str,
        search: str,
        *narrowing,
        progress=gr.Progress(track_tqdm=True),  # noqa: B008 - Gradio passes its progress bar in here
    ):
        """Save what was dropped, pasted or given by address, index it at once, and say in plain words
        what came of each."""
        folder = self.articles_dir
        uploads = [save_upload(folder, Path(f).name, Path(f).read_bytes()) for f in files or []]
        if (pasted_title or "").strip() or (pasted_text or "").strip():
            uploads.append(save_pasted(folder, pasted_title or "", pasted_text or ""))
        lines = [f"Not added: {upload.name} ({upload.reason})." for upload in uploads if not upload.saved]
        if urls := (addresses or "").split():
            progress(0, desc="fetching")
            for added in add_addresses(urls, folder, private=self.private_fetches):
                if added.saved is not None:
                    uploads.append(Upload(added.url, added.saved))
                elif added.existing:
                    lines.append(f"Already here: {added.url} ({added.existing}).")
                else:
                    lines.append(f"Not added: {added.url} ({added.reason}).")
        saved = [upload for upload in uploads if upload.saved]
        if saved:
            progress(0, desc="indexing")
            lines = self._index_uploads(saved) + lines
        listed = "  \n".join(escape_markdown(line) for line in lines)
        return (
            listed or "Choose files, paste a title and text, or give web addresses.",
            None,
            "",
            "",
            "",
            *self.refresh_library(search, *narrowing),
        )

    def folder_news(self, seen: int, search: str, *narrowing):
        """What the watched folder's latest change did, once for each change (a timer asks); else nothing."""
        number, change = self.watcher.latest if self.watcher else (0, None)
        if change is None or number == seen:
            return gr.update(), seen, *(gr.update() for _ in range(len(narrowing) + 1))
        invitation = ": ask about them now" if change.added or change.updated else ""
        news = f"{change} ({time.strftime('%H:%M')}){invitation}."
        return escape_markdown(news), number, *self.refresh_library(search, *narrowing)

    def _index_uploads(self, saved: list[Upload]) -> list[str]:
        """Index the saved uploads; one line for each, naming its title and how many paragraphs it gave."""
        if not self._builder:
            model = self.watcher.encoder if self.watcher else None  # the watched folder's builds load it too
            self._builder.append(model or Encoder(self.answerer.retriever.current_index().manifest.model))
        try:
            build_index(
                self.articles_dir, self.answerer.retriever.index_dir, encoder=self._builder[0], log=lambda _: None
            )
        except BuildInProgress:
            return ["Saved; another build is running, and the next one indexes them."]
        except IndexKept as kept:
            return [f"Saved, but not indexed: {kept}"]
        by_file: dict[str, list[LibraryEntry]] = {}
        for entry in self.entries():  # a JSON record's id is its file's path, "#", a hash of it
            by_file.setdefault(entry.id.partition("#")[0], []).append(entry)
        lines = []
        for upload in saved:
            found = by_file.get(upload.saved.relative_to(self.articles_dir).as_posix(), [])
            entry = found[0] if len(found) == 1 else None
            if entry is None:
                lines.append(f"Indexed {upload.name}.")  # a file of several articles, each under its own id
            else:
                count = "1 paragraph" if entry.paragraphs == 1 else f"{entry.paragraphs} paragraphs"
                named = "" if Path(upload.name).stem == entry.title else f" ({upload.name})"  # pasted: the title
                lines.append(f"Indexed {count} from “{entry.title}”{named}.")
        return [*lines, "Ask about them now."]

    def restore(self, saved: dict, kept: list, answered: bool):
        """The page as the browser left it: the conversation, its sources, the earlier conversations.
        A question answered since the page loaded (typed before this ran) is newer: it stays."""
        listed = self._listed(ConversationList.load(kept))
        if answered:
            return gr.update(), gr.update(), listed
        return *self._showing(StoredConversation.load(saved)), listed

    def _showing(self, stored: StoredConversation) -> tuple[str, str]:
        shown = stored.turn(stored.shown)
        return self.conversation(stored), sources_html(shown and shown.reply, stored.shown or 0)

    def _listed(self, earlier: ConversationList) -> str:
        return conversations_html([conversation.title for conversation in earlier.conversations])

    def new_chat(self, saved: dict, kept: list):
        """An empty conversation; the one before it goes to the top of the list of conversations."""
        earlier = ConversationList.load(kept).keeping(StoredConversation.load(saved))
        cleared = StoredConversation()
        shown = self.conversation(cleared), sources_html(None), "", cleared.dump(), gr.update(visible=False)
        return *shown, "", READER_EMPTY, gr.Tabs(selected=SOURCES_TAB), earlier.dump(), self._listed(earlier)

    def open_conversation(self, raw: str, saved: dict, kept: list):
        """Conversation i of the list becomes the current one; the current one goes to the list, and
        the article open from it is closed."""
        earlier, index = ConversationList.load(kept), _whole(_sent(raw).get("index"))
        chosen = earlier.get(index)
        if chosen is None:
            return (gr.update(),) * 7
        earlier = earlier.without(index).keeping(StoredConversation.load(saved))
        listed = chosen.dump(), earlier.dump(), self._listed(earlier)
        return *self._showing(chosen), *listed, gr.Tabs(selected=SOURCES_TAB), READER_EMPTY

    def delete_conversation(self, raw: str, kept: list):
        earlier = ConversationList.load(kept)
        index = _whole(_sent(raw).get("index"))
        if earlier.get(index) is not None:
            earlier = earlier.without(index)
        return earlier.dump(), self._listed(earlier)

    def vote(self, raw: str, saved: dict):
        """Record a like or dislike once (a second click on the same vote changes nothing, the other
        one replaces it), and keep it in the browser so the page shows it after a reload; a dislike
        asks what was wrong."""
        stored, pick = StoredConversation.load(saved), VotePick.parse(raw)
        turn = stored.turn(pick and pick.turn)
        if pick is None or turn is None or turn.vote == pick.vote:
            return gr.update(), gr.update(), gr.update(), gr.update(), gr.update()
        try:
            vote_id = self.feedback.add_vote(turn.reply.to_json(), liked=pick.vote == "up", replaces=turn.vote_id)
        except FeedbackNotSaved as refused:
            gr.Warning(f"Your vote was not recorded: {refused}.")
            return gr.update(), gr.update(), gr.update(visible=False), gr.update(), ""
        stored = stored.voted(pick.turn, pick.vote, vote_id)
        if pick.vote == "up":
            gr.Info("Thanks: your vote is recorded.")
        # A comment is asked for only after a dislike: what was wrong helps most.
        return self.conversation(stored), stored.dump(), gr.update(visible=pick.vote == "down"), "", vote_id

    def open_source(self, raw: str, saved: dict):
        """Source n of answer t: its answer's sources in the panel, the article open at the cited paragraph."""
        stored, pick = StoredConversation.load(saved), SourcePick.parse(raw)
        turn = stored.turn(pick and pick.turn)
        if pick is None or turn is None or not 1 <= pick.number <= len(turn.reply.passages):
            return gr.update(), gr.update(), gr.update(), gr.update()
        passage = turn.reply.passages[pick.number - 1]
        article = reader_html(self.answerer.retriever.article(passage.article), passage)
        sources = sources_html(turn.reply, pick.turn, selected=pick.number)
        return sources, article, gr.Tabs(selected=ARTICLE_TAB), stored.showing(pick.turn).dump()

    def send_comment(self, comment: str, vote_id: str):
        if vote_id:
            try:
                self.feedback.add_comment(vote_id, comment or "")
            except FeedbackNotSaved as refused:
                gr.Warning(f"Your comment was not recorded: {refused}.")
        return gr.update(visible=False), gr.update(value=""), ""
