"""One server for the chat page (at `/`) and the JSON API (at `/api/ask`), on uvicorn.

The page is a Gradio app mounted on a FastAPI app that also carries the API, so both share a
port, a login and a reverse-proxy prefix.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import uvicorn
from fastapi import FastAPI

from embeddings.articles import MAX_FILE_BYTES
from embeddings.watch import FolderWatcher
from qa.answer import Answerer
from webui.api import api_router
from webui.page import CSS, PAGE_JS, build_page, theme


@dataclass
class ChatServer:
    """A server running in a background thread (for tests and embedding); `close` stops it."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def check_port_free(host: str, port: int) -> None:
    """Raise a one-line `OSError` naming the fix when another program holds the port."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise OSError(f"cannot serve on {host}:{port} ({error.strerror}); pass another --port") from None


# Gradio keeps each session's component state in memory, and every call of its HTTP API is a new
# session: at its default of 10,000 the chat's path grew the server by ~20 MB a minute under load
# (benchmarks/soak.py). A tab's conversation lives in the browser, so a thousand is plenty.
SESSIONS_KEPT = 1000
# A waiting question's place in the queue is sent to its page once a second. Gradio's default
# sends every waiting question its place again each time any question starts: at 32 clients,
# hundreds of messages a second on the event streams, each written and parsed (issue 16).
QUEUE_STATUS_SECONDS = 1.0


def create_app(
    answerer: Answerer,
    *,
    auth: tuple[str, str] | None = None,
    root_path: str = "",
    articles_dir: Path | None = None,
    watcher: FolderWatcher | None = None,
    private_fetches: bool = True,
) -> FastAPI:
    """The FastAPI app: API routes first, then the chat page mounted at `/`.

    Concurrency: up to 4 questions are answered at once (the model and FAISS release the GIL,
    and the machine has few cores); up to 64 more wait in the chat's queue, after which a
    visitor is told the server is busy instead of waiting without end. The API shares the limit
    of 4 answers at once. With `articles_dir`, the page takes uploads into it (files up to the
    build's 20 MB limit), and addresses: on this machine or its private network only if
    `private_fetches` (not for a page served to others). With a `watcher`, the page says what each
    change to the folder did.
    """
    page = build_page(answerer, articles_dir=articles_dir, watcher=watcher, private_fetches=private_fetches)
    page.queue(default_concurrency_limit=4, max_size=64, status_update_rate=QUEUE_STATUS_SECONDS)
    page.state_session_capacity = SESSIONS_KEPT
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(api_router(answerer, logins=[auth] if auth else []))
    return gr.mount_gradio_app(
        app,
        page,
        path="/",
        auth=auth,
        root_path=root_path or None,
        run_history=False,  # questions are private: no run history page, nothing kept per browser
        footer_links=["api"],
        show_error=False,
        theme=theme(),
        css=CSS,
        js=PAGE_JS,
        max_file_size=MAX_FILE_BYTES,
    )


def serve(
    answerer: Answerer,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | None = None,
    root_path: str = "",
    articles_dir: Path | None = None,
    watcher: FolderWatcher | None = None,
    private_fetches: bool = True,
    block: bool = True,
) -> ChatServer | None:
    """Serve the page and the API; blocks until stopped, or returns a running `ChatServer`."""
    check_port_free(host, port)
    config = uvicorn.Config(
        create_app(
            answerer,
            auth=auth,
            root_path=root_path,
            articles_dir=articles_dir,
            watcher=watcher,
            private_fetches=private_fetches,
        ),
        host=host,
        port=port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    if block:
        print(f"chat on {url}  (API: {url}api/ask?q=...; stop with Ctrl+C)", flush=True)
        server.run()
        return None
    thread = threading.Thread(target=server.run, name="chat-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise OSError(f"the chat server did not start on {host}:{port}")
        time.sleep(0.05)
    return ChatServer(url, server, thread)
