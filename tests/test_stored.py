"""The conversation the browser keeps: every reply whole, so an old answer's sources still open."""

from __future__ import annotations

import json

from qa.answer import Passage, Reply
from webui.stored import KEPT_CONVERSATIONS, KEPT_TURNS, ConversationList, StoredConversation


def reply(question: str) -> Reply:
    passage = Passage(article="a.txt", title="A", paragraph=2, text="One. Two.", score=0.7, highlight=(5, 9),
                      phrase=(5, 8), part=2, url="https://example.org/a", date="2022-02-04", source="Wire")  # fmt: skip
    return Reply(question=question, answer="Two.", found=True, passages=(passage,), answer_passage=0,
                 notes=("Read as: x",), answer_span=(0, 3))  # fmt: skip


def test_a_conversation_comes_back_whole_from_the_browser():
    stored = StoredConversation().answered(reply("first?"), narrowed=True).answered(reply("second?"))
    stored = stored.voted(0, "down", "v1")
    back = StoredConversation.load(json.loads(json.dumps(stored.dump())))  # as the browser hands it back
    assert back == stored
    assert back.shown == 1 and back.earlier_questions() == ["first?", "second?"]
    assert back.turn(0).vote == "down" and back.turn(0).vote_id == "v1"
    assert back.turn(0).reply.passages[0].phrase == (5, 8)
    assert back.turn(0).narrowed and not back.turn(1).narrowed


def test_what_cannot_be_read_is_left_out():
    good = StoredConversation().answered(reply("kept?")).dump()
    broken = {"turns": [{"reply": {"question": "q"}}, *good["turns"], "junk"], "shown": 9}
    assert StoredConversation.load(broken).earlier_questions() == ["kept?"]
    assert StoredConversation.load(broken).shown is None
    assert StoredConversation.load({"messages": [], "replies": {}}) == StoredConversation()  # the old format
    assert StoredConversation.load(None).turn(0) is None


def test_the_oldest_questions_leave_past_the_limit():
    stored = StoredConversation()
    for number in range(KEPT_TURNS + 2):
        stored = stored.answered(reply(f"q{number}?"))
    assert len(stored.turns) == KEPT_TURNS and stored.earlier_questions()[0] == "q2?"


def test_earlier_conversations_are_kept_newest_first_and_an_empty_one_is_not():
    first = StoredConversation().answered(reply("first?"))
    second = StoredConversation().answered(reply("second?"))
    earlier = ConversationList().keeping(first).keeping(StoredConversation()).keeping(second)
    back = ConversationList.load(json.loads(json.dumps(earlier.dump())))
    assert [c.title for c in back.conversations] == ["second?", "first?"]
    assert back.get(1) == first and back.get(2) is None and back.get(True) is None
    assert [c.title for c in back.without(0).conversations] == ["first?"]
    assert ConversationList.load({"not": "a list"}) == ConversationList()
    many = ConversationList()
    for number in range(KEPT_CONVERSATIONS + 1):
        many = many.keeping(StoredConversation().answered(reply(f"q{number}?")))
    assert len(many.conversations) == KEPT_CONVERSATIONS and many.conversations[0].title == f"q{KEPT_CONVERSATIONS}?"
