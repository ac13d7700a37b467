"""Readers' votes on answers, kept as JSON Lines beside the index, and a report of the bad ones.

A vote is appended at once (question, reply, cited passages, up or down, time) and a comment
given afterwards is appended as its own line naming the vote, as is a changed vote naming the one
it replaces, so nothing is ever rewritten and a crash loses at most the line being written. The
file sits in the index folder, not in a generation, so it outlives rebuilds.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from embeddings.uploads import unwritable_reason

FEEDBACK_FILE = "feedback.jsonl"
MAX_COMMENT_CHARS = 2000


@dataclass
class Vote:
    """One reader's vote on one reply, with any comment they added."""

    id: str
    time: str
    question: str
    answer: str
    found: bool
    passages: list[dict]  # article, title, paragraph and score of each cited passage
    liked: bool
    comments: list[str] = field(default_factory=list)


class FeedbackNotSaved(Exception):
    """A vote or comment that could not be written; the message says why, for the reader."""


class FeedbackLog:
    """Appends votes and comments to `path`; reads them back, skipping lines it cannot parse."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _append(self, record: dict) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as file:
                    file.write(line)
        except OSError as error:
            raise FeedbackNotSaved(f"it could not be saved: {unwritable_reason(error)}") from None

    def add_vote(self, reply: dict, *, liked: bool, replaces: str = "") -> str:
        """Record a vote on `reply` (the shape of `Reply.to_json`); returns the vote's id. A reader who
        changes their mind sends the id of the vote they gave before as `replaces`, which drops it."""
        vote_id = uuid.uuid4().hex
        self._append(
            {
                **({"replaces": replaces} if replaces else {}),
                "id": vote_id,
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "question": reply.get("question", ""),
                "answer": reply.get("answer", ""),
                "found": bool(reply.get("found")),
                "passages": [
                    {key: p.get(key) for key in ("article", "title", "paragraph", "score")}
                    for p in reply.get("passages", [])
                ],
                "vote": "up" if liked else "down",
            }
        )
        return vote_id

    def add_comment(self, vote_id: str, comment: str) -> None:
        text = " ".join(comment.split())[:MAX_COMMENT_CHARS]
        if text:
            self._append({"comment_on": vote_id, "comment": text})

    def votes(self) -> list[Vote]:
        """Every vote not replaced by a later one, oldest first, with its comments."""
        if not self.path.exists():
            return []
        votes: dict[str, Vote] = {}
        replaced: set[str] = set()
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
                if "comment_on" in record:
                    votes[record["comment_on"]].comments.append(str(record["comment"]))
                else:
                    votes[record["id"]] = Vote(
                        id=record["id"],
                        time=record["time"],
                        question=record["question"],
                        answer=record["answer"],
                        found=record["found"],
                        passages=record["passages"],
                        liked=record["vote"] == "up",
                    )
                    replaced.add(str(record.get("replaces", "")))
            except (ValueError, KeyError, TypeError, AttributeError):
                continue  # a torn or hand-edited line costs only itself
        return [vote for vote in votes.values() if vote.id not in replaced]


def downvote_report(votes: list[Vote]) -> str:
    """Markdown: the downvoted questions, most recent first, with what was quoted and cited."""
    down = [v for v in reversed(votes) if not v.liked]
    lines = [f"# Downvoted answers: {len(down)} of {len(votes)} votes", ""]
    for vote in down:
        cited = "; ".join(f"{p['title']} ¶{p['paragraph']}" for p in vote.passages) or "nothing"
        lines += [f"## {vote.question}", f"- {vote.time}", f"- answered: {vote.answer}", f"- cited: {cited}"]
        lines += [f"- comment: {comment}" for comment in vote.comments]
        lines.append("")
    return "\n".join(lines)
