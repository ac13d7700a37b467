"""The JSON API beside the page (`/api/ask`): the reply `qa.ask --json` prints, errors as JSON."""

from __future__ import annotations

import base64
import json
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest

from qa.answer import Answerer
from tests.conftest import free_port

QUESTION = "Where did Xi and Putin meet?"


def call(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    """Status and JSON body of one request, error statuses included."""
    try:
        with urlopen(Request(url, data=data, headers=headers or {}), timeout=30) as response:
            return response.status, json.loads(response.read())
    except HTTPError as refused:
        return refused.code, json.loads(refused.read())


def test_get_and_both_posts_give_the_reply_the_command_line_prints(chat_url: str, answerer: Answerer):
    expected = answerer.ask(QUESTION, k=2).to_json()
    api = chat_url + "api/ask"
    assert call(api + "?" + urlencode({"q": QUESTION, "k": 2})) == (200, expected)
    assert call(api, data=urlencode({"q": QUESTION, "k": "2"}).encode()) == (200, expected)
    body = json.dumps({"q": QUESTION, "k": 2}).encode()
    assert call(api, data=body, headers={"Content-Type": "application/json"}) == (200, expected)
    assert expected["found"] and expected["passages"][0]["paragraph"] == 1 and len(expected["passages"]) == 2


def test_default_k_and_a_long_question_cut_with_a_note(chat_url: str):
    status, reply = call(chat_url + "api/ask?" + urlencode({"q": QUESTION}))
    assert status == 200 and len(reply["passages"]) == 5
    status, reply = call(chat_url + "api/ask?" + urlencode({"q": "Putin " * 2000}))
    assert status == 200 and reply["notes"] == ["Your question was cut to its first 1000 characters (of 11999)."]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({}, 400, "missing question"),
        ({"q": ""}, 400, "blank question"),
        ({"q": " \t\n "}, 400, "blank question"),
        ({"q": QUESTION, "k": "many"}, 400, "k must be a whole number from 1 to 50, not 'many'"),
        ({"q": QUESTION, "k": "0"}, 400, "not 0"),
        ({"q": QUESTION, "k": "51"}, 400, "not 51"),
        ({"q": "x" * 100_001}, 413, "question too long: 100001 characters"),
    ],
)
def test_bad_requests_get_a_json_error(chat_url: str, query: dict, status: int, message: str):
    data = urlencode(query).encode()  # POSTed, since a 100k-character URL is not a fair test
    got, body = call(chat_url + "api/ask", data=data)
    assert got == status and message in body["error"] and "\n" not in body["error"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]"])
def test_a_bad_json_body_gets_a_json_error(chat_url: str, body: bytes):
    status, reply = call(chat_url + "api/ask", data=body, headers={"Content-Type": "application/json"})
    assert status == 400 and reply["error"]


def test_the_page_login_covers_the_api(answerer: Answerer):
    from webui.server import serve

    server = serve(answerer, port=free_port(), auth=("editor", "s3cret"), block=False)
    api = server.url + "api/ask?" + urlencode({"q": QUESTION, "k": 1})
    try:

        def basic(user: str, password: str) -> dict[str, str]:
            return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}

        for headers in ({}, basic("editor", "wrong"), basic("someone", "s3cret"), {"Authorization": "Basic !!"}):
            status, reply = call(api, headers=headers)
            assert status == 401 and "log in" in reply["error"]
        status, reply = call(api, headers=basic("editor", "s3cret"))
        assert status == 200 and reply["passages"][0]["paragraph"] == 1
    finally:
        server.close()


def test_earlier_questions_make_a_follow_up(chat_url: str):
    api = chat_url + "api/ask"
    earlier = "Where did Xi and Putin meet?"
    by_get = call(api + "?" + urlencode({"q": "And when?", "earlier": earlier}))
    by_form = call(api, data=urlencode({"q": "And when?", "earlier": earlier}).encode())
    body = json.dumps({"q": "And when?", "earlier": [earlier]}).encode()
    by_json = call(api, data=body, headers={"Content-Type": "application/json"})
    assert by_get == by_form == by_json
    status, reply = by_get
    assert status == 200 and reply["notes"] == ["Read as: “When did Xi and Putin meet?”"]
    body = json.dumps({"q": "And when?", "earlier": "not a list"}).encode()
    status, reply = call(api, data=body, headers={"Content-Type": "application/json"})
    assert status == 400 and "earlier must be a list" in reply["error"]
