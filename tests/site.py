"""A local web site for the tests that add articles by address: pages served on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def news_page(title: str, paragraphs: list[str]) -> bytes:
    """A page as a news site serves it: the article amid navigation, a cookie banner and teasers."""
    body = "\n".join(f"      <p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title} | Coastal Herald</title>
  <meta property="og:title" content="{title}">
  <meta property="og:site_name" content="Coastal Herald">
  <meta name="author" content="Maria Lopes">
  <meta property="article:published_time" content="2024-03-12T08:00:00Z">
  <script>window.tracker = function () {{ document.title = "tracked"; }};</script>
</head>
<body>
  <div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience.
    <button>Accept all</button> <button>Manage settings</button></div>
  <nav><ul><li><a href="/">Home</a></li><li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li></ul>
  </nav>
  <header><div class="logo">Coastal Herald</div><a href="/subscribe">Subscribe now for full access</a></header>
  <main>
    <article>
      <h1>{title}</h1>
      <p class="byline">By Maria Lopes, 12 March 2024</p>
{body}
    </article>
    <section class="related"><h2>Related stories</h2><ul>
      <li><a href="/a">Storm warning for the weekend</a></li><li><a href="/b">Local team wins the cup final</a></li>
    </ul></section>
  </main>
  <footer>© 2024 Coastal Herald. All rights reserved. <a href="/privacy">Privacy policy</a></footer>
</body>
</html>""".encode()


@dataclass(frozen=True)
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    delay: float = 0.0
    sized: bool = True  # send Content-Length; without it the body runs until the connection closes
    location: str = ""


class Site(ThreadingHTTPServer):
    """A local web site: routes by path, and a count of requests per path."""

    block_on_close = False  # closing does not wait for the slow page's handler to wake
    routes: dict[str, Route]
    requests: Counter[str]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class Handler(BaseHTTPRequestHandler):
    server: Site

    def do_GET(self) -> None:
        self.server.requests[self.path] += 1
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404, "Not Found")
            return
        time.sleep(route.delay)
        try:
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            if route.location:
                self.send_header("Location", route.location)
            if route.sized:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting, as it should
            pass

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@contextmanager
def serving(routes: dict[str, Route]) -> Iterator[Site]:
    """A site serving `routes` from a thread until the block ends; more routes may be added meanwhile."""
    server = Site(("127.0.0.1", 0), Handler)
    server.requests = Counter()
    server.routes = dict(routes)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
