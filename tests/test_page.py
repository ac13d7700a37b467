"""The running chat server, through its API and in a real browser."""

from __future__ import annotations

import json
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlparse
from urllib.request import Request, urlopen

import pytest
from playwright.sync_api import expect

from embeddings.encoder import TextEncoder
from qa.answer import Answerer
from qa.feedback import FEEDBACK_FILE, FeedbackLog, downvote_report
from qa.retrieve import Retriever
from tests.conftest import ARTIFACTS, accessibility_violations, free_port, mounted

QUESTION = "What did Putin call his country's ties with China?"


def test_gradio_client_gets_the_cited_reply(chat_url: str):
    from gradio_client import Client

    client = Client(chat_url, verbose=False)
    reply = client.predict(QUESTION, 3, api_name="/ask")
    assert reply["found"] and "“unprecedented” ties" in reply["answer"]
    assert [p["paragraph"] for p in reply["passages"]][:1] == [2]
    assert reply["passages"][0]["title"] == "Xi, Putin show united front amid tensions with West"


def test_run_history_page_is_off(chat_url: str):
    with pytest.raises(HTTPError) as error:
        urlopen(chat_url.rstrip("/") + "/gradio_api/runs", timeout=10)
    assert error.value.code == 404


def test_the_queue_does_not_summarise_past_events_after_each_one():
    """Gradio would build a pandas table of up to 10,000 past events after every event, for a
    monitoring dashboard that is off here (7 % of the server's CPU under load)."""
    import gradio as gr

    import webui  # noqa: F401  (sets Gradio's environment before it reads it)

    with gr.Blocks() as blocks:
        gr.Textbox()
    queue = blocks.queue()._queue
    queue.events_recorded = 10**6
    past = [{"time": 0.0, "status": "success", "process_time": 0.05, "function": "ask", "session_hash": "s"}]
    assert queue.compute_analytics_summary(past * 3) == {"functions": {}}
    assert queue.ANALYTICS_MAX_EVENTS <= 100


def queue_messages(url: str, session: str, fn_index: int, question: str) -> list[tuple[float, str]]:
    """When and of what kind each message one question's event gets on its session's event stream
    was, as a page receives them."""
    body = {"data": [question, 3], "fn_index": fn_index, "session_hash": session, "event_data": None}
    join = Request(url + "gradio_api/queue/join", json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urlopen(join, timeout=60) as response:
        event_id = json.load(response)["event_id"]
    received = []
    with urlopen(f"{url}gradio_api/queue/data?session_hash={session}", timeout=60) as stream:
        for line in stream:
            if line.startswith(b"data:") and (message := json.loads(line[5:])).get("event_id") == event_id:
                received.append((time.monotonic(), message["msg"]))
                if message["msg"] == "process_completed":
                    return received
    raise AssertionError(f"the stream ended before the answer: {received}")


def test_a_waiting_question_is_not_told_its_place_each_time_another_starts(chat_url: str):
    """Gradio's default sends every waiting question its place again whenever any question starts:
    hundreds of messages a second on the event streams under load (issue 16). Here a waiting
    question hears its place when it joins, then once a second, however many start meanwhile."""
    with urlopen(chat_url + "config", timeout=30) as response:
        config = json.load(response)
    ask = next(n for n, d in enumerate(config["dependencies"]) if d.get("api_name") == "ask")
    questions = [f"Question {n}: {QUESTION}" for n in range(16)]  # 4 answered at once, 12 wait
    with ThreadPoolExecutor(len(questions)) as pool:
        streams = list(pool.map(lambda n: queue_messages(chat_url, f"wait-{n}", ask, questions[n]), range(16)))
    assert all(received[-1][1] == "process_completed" for received in streams)
    starts = [at for received in streams for at, kind in received if kind == "process_starts"]
    long_waits = 0
    for received in streams:
        joined, started = received[0][0], next(at for at, kind in received if kind == "process_starts")
        others_started = sum(joined < at < started for at in starts)
        told = sum(kind == "estimation" for _, kind in received) - 1  # after the one on joining
        if others_started >= 8:  # by Gradio's default it would be told its place 8 times or more
            long_waits += 1
            assert told <= others_started / 2, (told, others_started)
    assert long_waits  # some questions did wait behind many others


def ask_in_browser(page, url: str, question: str) -> None:
    page.goto(url)
    # loaded in full: an Enter pressed before the page's events are wired would be lost
    expect(page.locator("#restriction")).to_contain_text("Searching", timeout=30_000)
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    page.locator("#sources .source-card").first.wait_for(timeout=30_000)


def desktop_page(browser):
    """A new browser context at 1280 by 800 and its page."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    return context, context.new_page()


@pytest.mark.browser
def test_browser_asks_and_sees_citations_and_the_highlighted_sentence(browser, chat_url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    ask_in_browser(page, chat_url, QUESTION)
    answer = page.locator("#chat .message.bot").last
    answer.wait_for()
    assert "“unprecedented” ties" in answer.inner_text()
    assert "Xi, Putin show united front amid tensions with West — paragraph 2" in answer.inner_text()
    first_card = page.locator("#sources .source-card").first
    assert "paragraph 2" in first_card.inner_text()
    assert "“unprecedented” ties with China" in first_card.locator("mark").inner_text()
    phrase = answer.locator("blockquote strong").inner_text()  # the answer phrase, bold in the quote
    assert phrase and phrase in answer.locator("blockquote").inner_text()
    assert first_card.locator("mark strong.answer-phrase").inner_text() == phrase
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
    hosts = {urlparse(u).hostname for u in requests if urlparse(u).scheme in ("http", "https", "ws", "wss")}
    assert hosts == {"127.0.0.1"}, f"the page reached beyond this machine: {hosts}"
    context.close()


@pytest.mark.browser
def test_one_user_cannot_see_another_users_questions(browser, chat_url: str):
    secret = "Where did Xi and Putin meet for their private talks?"
    alice = browser.new_context()
    alice_page = alice.new_page()
    ask_in_browser(alice_page, chat_url, secret)
    assert secret in alice_page.locator("#chat").inner_text()
    # Nothing of the question is kept in Alice's browser storage for a history page.
    stored = alice_page.evaluate("() => JSON.stringify(Object.assign({}, localStorage, sessionStorage))")
    assert "private talks" not in stored

    bob = browser.new_context()
    bob_page = bob.new_page()
    bob_page.goto(chat_url)
    bob_page.locator("#question textarea").wait_for()
    assert "private talks" not in bob_page.content()
    assert bob_page.get_by_role("link", name="Runs").count() == 0
    response = bob_page.goto(chat_url.rstrip("/") + "/gradio_api/runs")
    assert response.status == 404
    assert "private talks" not in bob_page.content()
    alice.close()
    bob.close()


def test_the_api_cuts_a_long_question_with_a_note(chat_url: str):
    from gradio_client import Client

    reply = Client(chat_url, verbose=False).predict("Where did Xi and Putin meet? " * 4000, 2, api_name="/ask")
    assert len(reply["question"]) == 1000
    assert reply["notes"] == ["Your question was cut to its first 1000 characters (of 115999)."]


@pytest.mark.browser
def test_a_follow_up_in_the_chat_is_read_with_the_question_before_it(browser, chat_url: str):
    context = browser.new_context()
    page = context.new_page()
    ask_in_browser(page, chat_url, "Where did Xi and Putin meet?")
    expect(page.locator("#chat .message.bot").first).to_contain_text("met in Beijing", timeout=30_000)
    box = page.locator("#question textarea")
    box.fill("And when?")
    box.press("Enter")
    expect(page.locator("#chat .message.bot").nth(1)).to_contain_text(
        "Read as: “When did Xi and Putin meet?”", timeout=30_000
    )
    cards = page.locator("#sources .source-card")
    assert "February 4" in cards.nth(0).inner_text() + cards.nth(1).inner_text()
    context.close()


@pytest.mark.browser
def test_a_reader_votes_an_answer_down_with_a_comment_and_the_report_shows_it(
    browser, chat_url: str, answerer: Answerer
):
    log = FeedbackLog(answerer.retriever.index_dir / FEEDBACK_FILE)
    before = len(log.votes())
    context = browser.new_context()
    page = context.new_page()
    ask_in_browser(page, chat_url, "Which alliance worried both leaders?")
    answer = page.locator("#chat .message.bot").last
    expect(answer).to_contain_text("AUKUS", timeout=30_000)
    page.get_by_role("button", name="Dislike", exact=True).last.click()
    comment = page.get_by_label("What was wrong with this answer? (optional)")
    expect(comment).to_be_visible(timeout=10_000)
    comment.fill("It should name the member countries too.")
    page.locator("#send-comment").click()
    expect(comment).to_be_hidden(timeout=10_000)
    votes = log.votes()
    assert len(votes) == before + 1
    vote = votes[-1]
    assert (vote.question, vote.liked, vote.found) == ("Which alliance worried both leaders?", False, True)
    assert "AUKUS" in vote.answer and vote.passages[0]["paragraph"] == 3
    assert vote.comments == ["It should name the member countries too."]
    report = downvote_report(votes)
    assert "## Which alliance worried both leaders?" in report and "member countries" in report
    context.close()


@pytest.mark.browser
def test_a_vote_on_a_read_only_index_is_refused_with_a_note_in_the_page(
    browser, seed_index: Path, tmp_path: Path, question_encoder: TextEncoder
):
    from webui.server import serve

    shelf = tmp_path / "shelf"
    shutil.copytree(seed_index, shelf / "index")
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    with mounted("--bind", "-o", "ro", str(shelf), str(read_only)):
        server = serve(
            Answerer(Retriever(read_only / "index", encoder=question_encoder)), port=free_port(), block=False
        )
        context = browser.new_context()
        try:
            page = context.new_page()
            ask_in_browser(page, server.url, "Which alliance worried both leaders?")
            page.get_by_role("button", name="Like", exact=True).last.click()
            expect(page.locator(".toast-body")).to_contain_text(
                "Your vote was not recorded: it could not be saved: the folder is read-only.", timeout=10_000
            )
            expect(page.locator("#comment textarea")).to_be_hidden()
        finally:
            context.close()
            server.close()


@pytest.mark.browser
def test_the_conversation_survives_a_reload_until_new_chat(browser, chat_url: str):
    context = browser.new_context()
    page = context.new_page()
    page.goto(chat_url)
    page.locator("#question textarea").wait_for()
    stored_before = page.evaluate("() => localStorage.getItem('article-qa-conversation')")
    ask_in_browser(page, chat_url, QUESTION)
    expect(page.locator("#chat .message.bot").last).to_contain_text("“unprecedented” ties", timeout=30_000)
    page.wait_for_function(  # the browser stores the conversation just after the reply arrives
        "before => localStorage.getItem('article-qa-conversation') !== before", arg=stored_before, timeout=30_000
    )
    page.reload()
    expect(page.locator("#chat")).to_contain_text(QUESTION, timeout=30_000)
    expect(page.locator("#chat .message.bot").last).to_contain_text("“unprecedented” ties")
    expect(page.locator("#sources .source-card").first).to_contain_text("paragraph 2")
    stored = page.evaluate("() => JSON.stringify(Object.assign({}, localStorage))")
    assert "unprecedented" not in stored  # kept encrypted
    stored_conversation = page.evaluate("() => localStorage.getItem('article-qa-conversation')")
    page.locator("#new-chat").click()
    expect(page.locator("#chat")).not_to_contain_text(QUESTION, timeout=30_000)
    page.wait_for_function(
        "before => localStorage.getItem('article-qa-conversation') !== before", arg=stored_conversation, timeout=30_000
    )
    page.reload()
    page.locator("#question textarea").wait_for()
    page.wait_for_timeout(1000)
    expect(page.locator("#chat")).not_to_contain_text(QUESTION)
    context.close()


@pytest.mark.browser
def test_clicking_a_source_opens_its_article_at_the_cited_paragraph(browser, chat_url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    ask_in_browser(page, chat_url, "Which alliance worried both leaders?")
    first_card = page.locator("#sources .source-card").first
    expect(first_card).to_contain_text("paragraph 3", timeout=30_000)
    first_card.click()
    reader = page.locator("#reader")
    expect(reader.locator(".reader-title")).to_have_text(
        "Xi, Putin show united front amid tensions with West", timeout=30_000
    )
    cited = reader.locator("#reader-cited")
    expect(cited.locator("mark.answer")).to_contain_text("AUKUS defense alliance")
    expect(cited).to_be_in_viewport()
    paragraphs = reader.locator(".reader-paragraph")
    expect(paragraphs).to_have_count(8)  # the whole article, around the cited paragraph
    assert "February 4" in paragraphs.nth(1).inner_text() and "NATO" in paragraphs.nth(3).inner_text()
    page.get_by_role("tab", name="Sources").click()
    page.locator("#sources .source-card").nth(1).get_by_role("button").press("Enter")  # the keyboard opens another
    expect(reader.locator("#reader-cited")).not_to_contain_text("AUKUS", timeout=30_000)
    page.locator("#new-chat").click()  # a new chat closes the article too
    page.get_by_role("tab", name="Article").click()
    expect(reader).to_contain_text("Click a source to read its whole article here.", timeout=30_000)
    context.close()


def box_of(page, selector: str) -> dict:
    """Where an element is on the screen (its bounding box in CSS pixels)."""
    return page.locator(selector).bounding_box()


@pytest.mark.browser
def test_opening_a_source_shows_it_beside_the_chat_without_moving_the_question_box(browser, chat_url: str):
    context, page = desktop_page(browser)
    ask_in_browser(page, chat_url, "Which alliance worried both leaders?")
    question, panel = box_of(page, "#question textarea"), box_of(page, "#panel")
    assert question["y"] + question["height"] <= 800 and panel["x"] > question["x"] + question["width"]
    page.locator("#sources .source-card").first.click()
    expect(page.locator("#reader #reader-cited")).to_be_in_viewport(timeout=30_000)
    expect(page.locator("#reader .reader-title")).to_be_in_viewport()  # the title stays above the text
    assert box_of(page, "#question textarea") == question
    assert page.evaluate("() => window.scrollY") == 0
    expect(page.locator("#reader .reader")).to_be_focused()
    page.keyboard.press("Escape")  # the focus goes back to the card that opened the article
    expect(page.locator("#sources .source-card").first.get_by_role("button")).to_be_focused()
    context.close()


@pytest.mark.browser
def test_on_a_phone_the_answer_and_its_source_are_both_on_the_first_screen(browser, answerer: Answerer, tmp_path: Path):
    from webui.server import serve

    server = serve(answerer, port=free_port(), articles_dir=tmp_path, block=False)  # all five tabs
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    ask_in_browser(page, server.url, "Which alliance worried both leaders?")
    expect(page.locator("#chat .message.bot").last).to_contain_text("AUKUS", timeout=30_000)
    for shown in ("#chat .message.bot >> nth=-1", "#sources .source-card >> nth=0", "#question textarea"):
        expect(page.locator(shown)).to_be_in_viewport()
    # Nothing is wider than the screen: the panel's tabs once pushed it, and its source cards, past the edge.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    card = page.locator("#sources .source-card").first.bounding_box()
    assert card["x"] >= 0 and card["x"] + card["width"] <= 390
    for tab in ("Sources", "Article", "Chats", "Library", "Add articles"):  # in one line, none under "More tabs"
        expect(page.get_by_role("tab", name=tab, exact=True)).to_be_in_viewport()
    page.locator("#sources .source-card").first.click()
    expect(page.locator("#reader #reader-cited")).to_be_in_viewport(timeout=30_000)
    expect(page.locator("#question textarea")).to_be_in_viewport()
    assert page.evaluate("() => window.scrollY") == 0
    context.close()
    server.close()


@pytest.mark.browser
def test_a_citation_in_an_earlier_answer_opens_that_answers_own_source(browser, chat_url: str):
    context, page = desktop_page(browser)
    ask_in_browser(page, chat_url, "Which alliance worried both leaders?")
    box = page.locator("#question textarea")
    box.fill("What did Putin call his country's ties with China?")
    box.press("Enter")
    expect(page.locator("#chat .message.bot")).to_have_count(2, timeout=30_000)
    question = box_of(page, "#question textarea")
    page.locator("#turn-0 blockquote button.cite").click()  # the first answer's quote cites its source
    cited = page.locator("#reader #reader-cited")
    expect(cited.locator("mark.answer")).to_contain_text("AUKUS defense alliance", timeout=30_000)
    page.get_by_role("tab", name="Sources").click()
    expect(page.locator("#sources .sources")).to_have_attribute("aria-label", "Sources of answer 1")
    expect(page.locator("#sources .source-card.selected")).to_contain_text("AUKUS")
    page.locator("#turn-1 .cited button").first.click()  # the second answer's first source line
    expect(cited.locator("mark.answer")).to_contain_text("“unprecedented” ties", timeout=30_000)
    assert box_of(page, "#question textarea") == question
    context.close()


@pytest.mark.browser
def test_a_vote_is_shown_after_a_reload_and_is_not_counted_twice(browser, chat_url: str, answerer: Answerer):
    log = FeedbackLog(answerer.retriever.index_dir / FEEDBACK_FILE)
    context = browser.new_context()
    page = context.new_page()
    ask_in_browser(page, chat_url, "Where did Xi and Putin meet?")
    before = len(log.votes())
    stored = page.evaluate("() => localStorage.getItem('article-qa-conversation')")
    answer = page.locator("#chat .message.bot").last
    answer.get_by_role("button", name="Like", exact=True).click()
    page.wait_for_function(  # the browser stores the vote with the conversation
        "before => localStorage.getItem('article-qa-conversation') !== before", arg=stored, timeout=30_000
    )
    page.reload()
    like = answer.get_by_role("button", name="Like", exact=True)
    expect(like).to_have_attribute("aria-pressed", "true", timeout=30_000)
    expect(page.locator("#comment-row")).to_be_hidden()  # a like asks for no comment
    like.click()  # the same vote again: nothing more recorded
    dislike = answer.get_by_role("button", name="Dislike", exact=True)
    dislike.click()  # a change of mind replaces the like in the log
    expect(dislike).to_have_attribute("aria-pressed", "true", timeout=30_000)
    expect(like).to_have_attribute("aria-pressed", "false")
    assert [(vote.question, vote.liked) for vote in log.votes()[before:]] == [("Where did Xi and Putin meet?", False)]
    context.close()


@pytest.mark.browser
def test_the_first_screen_names_the_library_and_asks_an_example_drawn_from_it(browser, chat_url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(chat_url)
    welcome = page.locator("#chat .welcome")
    expect(welcome.get_by_role("heading")).to_have_text("Ask about one article", timeout=30_000)
    examples = welcome.locator("button.example")
    expect(examples.first).to_have_text("What is “Xi, Putin show united front amid tensions with West” about?")
    expect(examples).to_have_count(3)
    for shown in ("#chat .welcome", "#question textarea", "#send", "#panel-tabs"):
        expect(page.locator(shown).first).to_be_in_viewport()
    asked = examples.nth(1).inner_text()
    examples.nth(1).click()
    expect(page.locator("#chat .message.user")).to_have_text(asked, timeout=30_000)
    expect(page.locator("#sources .source-card").first).to_be_visible()
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_axe_core_finds_no_serious_problem_on_the_page_in_any_state(browser, chat_url: str, size: tuple[int, int]):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.goto(chat_url)
    expect(page.locator("#chat .welcome")).to_be_visible(timeout=30_000)
    expect(page.locator("#restriction")).to_contain_text("Searching", timeout=30_000)  # loaded in full
    found = {"first load": accessibility_violations(page)}
    box = page.locator("#question textarea")
    box.fill("Which alliance worried both leaders?")
    box.press("Enter")
    expect(page.locator("#sources .source-card").first).to_be_visible(timeout=30_000)
    found["after an answer"] = accessibility_violations(page)
    page.locator("#chat .cite").first.click()
    expect(page.locator("#reader #reader-cited")).to_be_visible(timeout=30_000)
    found["article open"] = accessibility_violations(page)
    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#only-articles")).to_contain_text("Xi, Putin", timeout=30_000)
    found["library open"] = accessibility_violations(page)
    context.close()
    ARTIFACTS.mkdir(exist_ok=True)  # every violation, the minor ones too, for the record
    (ARTIFACTS / f"axe-{size[0]}x{size[1]}.json").write_text(json.dumps(found, indent=1))
    serious = {state: [v for v in found[state] if v["impact"] in ("critical", "serious")] for state in found}
    assert serious == {state: [] for state in found}


# Each control the keyboard reaches: its name, whether its focus shows (an outline or a ring), its size.
FOCUSED_CONTROL = r"""() => {
  const control = document.activeElement;
  const style = getComputedStyle(control);
  const box = control.getBoundingClientRect();
  const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  const name = control.getAttribute('aria-label') || control.innerText || control.placeholder || '';
  return {tag: control.tagName + '.' + control.className, name: name.trim().split('\n')[0].slice(0, 40),
          shown: ring || style.boxShadow !== 'none', width: box.width, height: box.height};
}"""


@pytest.mark.browser
def test_every_control_shows_its_focus_and_is_big_enough_to_touch(browser, chat_url: str):
    context, page = desktop_page(browser)
    ask_in_browser(page, chat_url, "Which alliance worried both leaders?")
    page.locator("#question textarea").focus()
    reached = []
    for _ in range(40):  # the question box on to the panel, through every control the keyboard reaches
        page.keyboard.press("Tab")
        control = page.evaluate(FOCUSED_CONTROL)
        if control["tag"].startswith("BODY."):  # past the last control
            break
        reached.append(control)
    names = [control["name"] for control in reached]
    assert {"Send", "New chat", "Settings", "Sources", "Article", "Library"} <= set(names), names
    assert any(name.startswith("[1] Xi, Putin") for name in names)  # the source cards' buttons
    assert [c for c in reached if not c["shown"]] == []
    assert [c["name"] for c in reached if min(c["width"], c["height"]) < 24] == []
    context.close()


@pytest.mark.browser
def test_earlier_conversations_are_listed_by_their_first_question_and_survive_a_reload(browser, chat_url: str):
    context, page = desktop_page(browser)
    ask_in_browser(page, chat_url, "Which alliance worried both leaders?")
    page.locator("#new-chat").click()
    expect(page.locator("#chat .welcome")).to_be_visible(timeout=30_000)
    box = page.locator("#question textarea")
    box.fill("Where did Xi and Putin meet?")
    stored = page.evaluate("() => localStorage.getItem('article-qa-conversation')")
    box.press("Enter")
    expect(page.locator("#chat .message.bot")).to_contain_text("Beijing", timeout=30_000)
    page.get_by_role("tab", name="Chats").click()
    listed = page.locator("#conversation-list button.open-conversation")
    expect(listed).to_have_text(["Which alliance worried both leaders?"])
    page.wait_for_function(  # the browser has stored the second conversation with its answer
        "before => localStorage.getItem('article-qa-conversation') !== before", arg=stored, timeout=30_000
    )
    page.reload()
    page.locator("#chat .cite").first.click()  # an article open from this conversation
    expect(page.locator("#reader #reader-cited")).to_be_visible(timeout=30_000)
    page.get_by_role("tab", name="Chats").click()
    expect(listed).to_have_text(["Which alliance worried both leaders?"], timeout=30_000)
    serious = [v for v in accessibility_violations(page) if v["impact"] in ("critical", "serious")]
    assert serious == []
    listed.first.click()  # switch: the first conversation is back, the second goes to the list
    expect(page.locator("#chat .message.bot")).to_contain_text("AUKUS", timeout=30_000)
    page.get_by_role("tab", name="Article").click()  # the other conversation's article is closed
    expect(page.locator("#reader")).to_contain_text("Click a source to read its whole article here.")
    page.get_by_role("tab", name="Chats").click()
    expect(listed).to_have_text(["Where did Xi and Putin meet?"])
    page.get_by_role("button", name="Delete “Where did Xi and Putin meet?”").click()
    expect(listed).to_have_count(0, timeout=30_000)
    page.reload()
    expect(page.locator("#chat .message.bot")).to_contain_text("AUKUS", timeout=30_000)
    page.get_by_role("tab", name="Chats").click()
    expect(page.locator("#conversation-list")).to_contain_text("Earlier conversations appear here")
    context.close()
