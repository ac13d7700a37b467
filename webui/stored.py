"""What the browser keeps of a conversation (Gradio's `BrowserState`, encrypted with the server's
key): each question with its whole reply and the reader's vote, so every answer's citations and
votes still work after a reload. Nothing of it is kept on the server.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from qa.answer import Passage, Reply

KEPT_TURNS = 50  # questions the browser keeps; older ones leave the conversation
KEPT_CONVERSATIONS = 20  # earlier conversations the browser keeps; older ones are forgotten
VOTES = ("up", "down")


@dataclass(frozen=True)
class Turn:
    """One question and its reply, the reader's vote on it ("up", "down" or ""), and whether the
    question was narrowed to some articles (a narrowed question that found nothing offers to
    search them all)."""

    reply: Reply
    vote: str = ""
    narrowed: bool = False
    vote_id: str = ""  # the vote's id in the votes log, which a changed vote replaces

    @property
    def offers_all_articles(self) -> bool:
        return self.narrowed and not self.reply.found


def _span(value: object) -> tuple[int, int] | None:
    return (int(value[0]), int(value[1])) if isinstance(value, list | tuple) and len(value) == 2 else None


def _reply(stored: dict) -> Reply:
    """A `Reply` back from its stored fields; a field of the wrong shape raises TypeError or ValueError."""
    passages = tuple(
        Passage(**{**p, "highlight": _span(p.get("highlight")), "phrase": _span(p.get("phrase"))})
        for p in stored["passages"]
    )
    return Reply(
        question=str(stored["question"]),
        answer=str(stored["answer"]),
        found=bool(stored["found"]),
        passages=passages,
        answer_passage=stored.get("answer_passage"),
        notes=tuple(str(note) for note in stored.get("notes", ())),
        answer_span=_span(stored.get("answer_span")),
    )


@dataclass(frozen=True)
class StoredConversation:
    """The conversation as the browser keeps it; `shown` is the turn whose sources the panel shows."""

    turns: tuple[Turn, ...] = ()
    shown: int | None = None

    @classmethod
    def load(cls, saved: object) -> StoredConversation:
        """The conversation from the browser's store; what cannot be read (an older format) is left out."""
        if not isinstance(saved, dict) or not isinstance(saved.get("turns"), list):
            return cls()
        turns = []
        for stored in saved["turns"]:
            try:
                vote = stored.get("vote") if stored.get("vote") in VOTES else ""
                vote_id = stored.get("vote_id") if vote and isinstance(stored.get("vote_id"), str) else ""
                turns.append(Turn(_reply(stored["reply"]), vote, stored.get("narrowed") is True, vote_id))
            except (TypeError, ValueError, KeyError, AttributeError, IndexError):
                continue
        shown = saved.get("shown")
        return cls(tuple(turns), shown if isinstance(shown, int) and 0 <= shown < len(turns) else None)

    def dump(self) -> dict:
        turns = [
            {"reply": asdict(t.reply), "vote": t.vote, "vote_id": t.vote_id, "narrowed": t.narrowed} for t in self.turns
        ]
        return {"turns": turns, "shown": self.shown}

    @property
    def title(self) -> str:
        """The conversation's first question, which names it in the list of conversations."""
        return next(iter(self.earlier_questions()), "(no question)")

    def earlier_questions(self) -> list[str]:
        return [turn.reply.question for turn in self.turns if turn.reply.question]

    def turn(self, index: object) -> Turn | None:
        return self.turns[index] if isinstance(index, int) and 0 <= index < len(self.turns) else None

    def answered(self, reply: Reply, *, narrowed: bool = False) -> StoredConversation:
        """With `reply` as the newest turn, its sources shown; the oldest turns go past `KEPT_TURNS`."""
        turns = (*self.turns, Turn(reply, narrowed=narrowed))[-KEPT_TURNS:]
        return StoredConversation(turns, len(turns) - 1)

    def voted(self, index: int, vote: str, vote_id: str) -> StoredConversation:
        turns = list(self.turns)
        turns[index] = replace(turns[index], vote=vote, vote_id=vote_id)
        return replace(self, turns=tuple(turns))

    def showing(self, index: int) -> StoredConversation:
        return replace(self, shown=index)


@dataclass(frozen=True)
class ConversationList:
    """The reader's earlier conversations, the most recent first, kept in the browser beside the
    current one (which "New chat" or opening another puts at the top)."""

    conversations: tuple[StoredConversation, ...] = ()

    @classmethod
    def load(cls, saved: object) -> ConversationList:
        loaded = (StoredConversation.load(kept) for kept in saved) if isinstance(saved, list) else ()
        return cls(tuple(conversation for conversation in loaded if conversation.turns))

    def dump(self) -> list[dict]:
        return [conversation.dump() for conversation in self.conversations]

    def get(self, index: object) -> StoredConversation | None:
        in_range = isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(self.conversations)
        return self.conversations[index] if in_range else None

    def keeping(self, current: StoredConversation) -> ConversationList:
        """With `current` at the top, if anything was asked in it."""
        kept = (current, *self.conversations) if current.turns else self.conversations
        return ConversationList(kept[:KEPT_CONVERSATIONS])

    def without(self, index: int) -> ConversationList:
        return ConversationList(tuple(c for number, c in enumerate(self.conversations) if number != index))
