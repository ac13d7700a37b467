"""The JSON API beside the page: `GET /api/ask?q=...&k=...` and `POST /api/ask` (form or JSON).

`earlier` (repeated, or a JSON list) carries the conversation's previous questions, oldest
first, so a follow-up such as "And when?" is read as in the chat.

Replies have the shape `qa.ask --json` prints (`Reply.to_json`); every error is JSON too, with a
one-line `error`. When the page is protected by a login, the API asks for the same user and
password by HTTP Basic authentication (`curl -u user:password`).
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from embeddings.index import IndexProblem
from qa.answer import DEFAULT_K, MAX_K, Answerer

MAX_REQUEST_CHARS = 100_000  # longer questions are refused; up to this, they are cut with a note
MAX_EARLIER = 10  # earlier questions read; a follow-up leans on at most the last few anyway
CONCURRENT_ANSWERS = 4  # as many as the chat's queue answers at once, on a machine with few cores


def error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """User and password from an HTTP Basic `Authorization` header, if it holds one."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, colon, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if colon else None


def is_allowed(given: tuple[str, str] | None, logins: Sequence[tuple[str, str]]) -> bool:
    """True when no login is set, or `given` matches one (compared in constant time)."""
    if not logins:
        return True
    if given is None:
        return False
    return any(
        secrets.compare_digest(given[0].encode(), user.encode())
        & secrets.compare_digest(given[1].encode(), password.encode())
        for user, password in logins
    )


def api_router(answerer: Answerer, *, logins: Sequence[tuple[str, str]] = ()) -> APIRouter:
    """The `/api/ask` routes over `answerer`."""
    router = APIRouter()
    answering = threading.BoundedSemaphore(CONCURRENT_ANSWERS)

    def answer(request: Request, question: object, k: object, earlier: object = ()) -> JSONResponse:
        if not is_allowed(basic_credentials(request), logins):
            return error(401, "log in: this server needs a user and password", **{"WWW-Authenticate": "Basic"})
        if not isinstance(question, str) or not question.strip():
            what = "missing" if not isinstance(question, str) else "blank"
            return error(400, f"{what} question: pass it as q, for example /api/ask?q=Who+met+whom%3F")
        if len(question) > MAX_REQUEST_CHARS:
            return error(413, f"question too long: {len(question)} characters, the limit is {MAX_REQUEST_CHARS}")
        try:
            passages = DEFAULT_K if k is None or k == "" else int(k)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return error(400, f"k must be a whole number from 1 to {MAX_K}, not {k!r}")
        if not 1 <= passages <= MAX_K:
            return error(400, f"k must be a whole number from 1 to {MAX_K}, not {passages}")
        if not isinstance(earlier, list | tuple) or not all(isinstance(e, str) for e in earlier):
            return error(400, "earlier must be a list of the conversation's previous questions")
        if sum(len(e) for e in earlier[-MAX_EARLIER:]) > MAX_REQUEST_CHARS:
            return error(413, f"earlier questions too long: the limit is {MAX_REQUEST_CHARS} characters in all")
        try:
            with answering:
                reply = answerer.ask(question, k=passages, earlier=list(earlier[-MAX_EARLIER:]))
        except IndexProblem as problem:
            return error(503, str(problem))
        return JSONResponse(reply.to_json())

    @router.get("/api/ask")
    def ask_get(request: Request, q: str | None = None, k: str | None = None) -> JSONResponse:
        return answer(request, q, k, request.query_params.getlist("earlier"))

    @router.post("/api/ask")
    async def ask_post(request: Request) -> JSONResponse:
        content_type = request.headers.get("content-type", "")
        try:
            if content_type.startswith("application/json"):
                body = await request.json()
                if not isinstance(body, dict):
                    return error(400, 'send a JSON object such as {"q": "Who met whom?", "k": 5}')
            else:
                form = await request.form()
                body = {"q": form.get("q"), "k": form.get("k"), "earlier": form.getlist("earlier")}
        except ValueError as problem:
            return error(400, f"unreadable request body: {problem}")
        return await run_in_threadpool(answer, request, body.get("q"), body.get("k"), body.get("earlier", []))

    return router
