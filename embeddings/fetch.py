"""Fetching one web address for `embeddings.add`: bounded in time and size, http(s) only.

A page is read whole into memory, so its size is capped before and while it is read, and the
time-out holds for the whole read, not for each packet: a server that trickles bytes cannot keep
the command waiting. Redirects are followed only to other http(s) addresses. Without `private`,
an address on this machine or its private network is refused, redirects included, so a page
served to others cannot be made to read what only this machine can reach: by the name's
addresses before connecting, and by the address connected to (a name's DNS answer can change).
Every failure is a `FetchFailed` whose message is the one line a reader sees.
"""

from __future__ import annotations

import codecs
import http.client
import ipaddress
import re
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit

USER_AGENT = "article-qa/1 (+local)"
DEFAULT_TIMEOUT = 20.0
CHUNK_BYTES = 64 * 1024
_UNSENDABLE = re.compile(r"[\x00-\x20\x7f]")  # http.client refuses these in an address
_FEED_START = re.compile(rb"^(?:<\?xml[^>]*>|<!--.*?-->|\s)*<(?:rss|feed|rdf:rdf)\b", re.S | re.I)


class FetchFailed(Exception):
    """An address that gave no page; the message says why in a reader's words."""


@dataclass(frozen=True)
class Fetched:
    """What a server sent for an address: where it ended up after redirects, and the body."""

    url: str
    content_type: str  # as sent, e.g. "text/html; charset=utf-8"; "" when the server gave none
    body: bytes

    @property
    def media_type(self) -> str:
        """The content type without parameters, lower-case: "text/html"."""
        return self.content_type.partition(";")[0].strip().lower()

    def looks_like_feed(self) -> bool:
        """An RSS or Atom feed by its content type, or by how its body starts (servers mislabel feeds)."""
        media = self.media_type
        if media != "application/xhtml+xml" and any(word in media for word in ("rss", "atom", "xml")):
            return True
        return bool(_FEED_START.match(self.body[:2048].removeprefix(codecs.BOM_UTF8)))

    def looks_like_page(self) -> bool:
        """HTML or some other text trafilatura may find an article in; not an image, a PDF, a zip."""
        media = self.media_type
        return not media or media.startswith("text/") or "html" in media or "xml" in media

    def text(self) -> str:
        """The body as text: in the charset the server names, else as trafilatura guesses it."""
        charset = Message()
        charset["content-type"] = self.content_type
        declared = charset.get_content_charset()
        if declared:
            try:
                return self.body.decode(declared, errors="replace")
            except LookupError:  # a charset Python does not know: guess instead
                pass
        from trafilatura.utils import decode_file

        return decode_file(self.body, max_size=len(self.body))


def is_web_address(url: str) -> bool:
    """An http or https address with a host and nothing a request line cannot carry: the only kind this fetches."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and not _UNSENDABLE.search(url)


def size_text(size: int) -> str:
    """A byte count as a reader says it: "25 MB", "4 kB", "512 bytes"."""
    if size >= 1_000_000:
        return f"{size / 1e6:.0f} MB"
    if size >= 1_000:
        return f"{size / 1e3:.0f} kB"
    return f"{size} bytes"


def private_host(url: str) -> str:
    """The address's host when it names this machine or a private network (by any of its IP
    addresses), else "". A name that does not resolve is left for the fetch to report."""
    host = urlsplit(url).hostname or ""
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return ""
    return host if any(_is_private(str(info[4][0])) for info in found) else ""


def _is_private(address: str) -> bool:
    """An IP address of this machine or a private network (any that is not globally reachable)."""
    return not ipaddress.ip_address(address.partition("%")[0]).is_global


def _private_refused(host: str) -> FetchFailed:
    return FetchFailed(f"{host} is on this machine or its private network, which is not fetched for a shared page")


def _refuse_private(url: str) -> None:
    if host := private_host(url):
        raise _private_refused(host)


class _PublicPeerConnection(http.client.HTTPConnection):
    """Once connected, and before anything is sent, refuses a peer on this machine or its private
    network. The name was checked before connecting, but its DNS answer can change in between
    (DNS rebinding): the address actually connected to is what counts."""

    def connect(self) -> None:
        super().connect()
        # Through an https proxy the peer is the proxy, which resolves the name: only the name is checked.
        if not self._tunnel_host and _is_private(self.sock.getpeername()[0]):
            self.close()
            raise _private_refused(self.host)


class _PublicPeerHTTPSConnection(http.client.HTTPSConnection, _PublicPeerConnection):
    """The same for https: `HTTPSConnection.connect` connects through `_PublicPeerConnection`,
    then starts TLS, so the peer is checked before the handshake."""


class _PublicPeerHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):  # type: ignore[no-untyped-def]
        return self.do_open(http.client.HTTPConnection if req.has_proxy() else _PublicPeerConnection, req)


class _PublicPeerHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):  # type: ignore[no-untyped-def]
        return self.do_open(_PublicPeerHTTPSConnection, req, context=self._context)


class _WebOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to another http(s) address (urllib would follow one to ftp too), and
    without `private` not to this machine or its private network."""

    def __init__(self, *, private: bool) -> None:
        self.private = private

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if not is_web_address(newurl):
            raise FetchFailed(f"it redirects to {newurl}, which is not an http(s) address")
        if not self.private:
            _refuse_private(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, *, timeout: float = DEFAULT_TIMEOUT, max_bytes: int, private: bool = True) -> Fetched:
    """GET `url` within `timeout` seconds in all; `FetchFailed` if it fails or is over `max_bytes`,
    or (without `private`) if it or a redirect leads to this machine or its private network."""
    if not is_web_address(url):
        raise FetchFailed("not an http(s) address")
    if not private:
        _refuse_private(url)
    timed_out = FetchFailed(f"timed out after {timeout:g} s")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.8"})
    deadline = time.monotonic() + timeout
    try:
        checks = [] if private else [_PublicPeerHTTPHandler(), _PublicPeerHTTPSHandler()]
        opener = urllib.request.build_opener(_WebOnlyRedirects(private=private), *checks)
        with opener.open(request, timeout=timeout) as response:
            declared = _declared_length(response.headers.get("Content-Length", ""))
            if declared > max_bytes:
                raise FetchFailed(f"the page is {size_text(declared)}, over the {size_text(max_bytes)} limit")
            body = _read_until(response, max_bytes + 1, deadline, timed_out)
            if len(body) > max_bytes:
                raise FetchFailed(f"the page is over the {size_text(max_bytes)} limit")
            return Fetched(response.geturl(), response.headers.get("Content-Type", ""), body)
    except urllib.error.HTTPError as error:
        raise FetchFailed(f"HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise timed_out from None
        reason = getattr(error.reason, "strerror", None) or error.reason
        raise FetchFailed(f"cannot reach {urlsplit(url).hostname}: {reason}") from None
    except TimeoutError:
        raise timed_out from None
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise FetchFailed(f"the server's reply broke off ({error or type(error).__name__})") from None


def _declared_length(header: str) -> int:
    """The Content-Length a server declares, 0 when it declares none or nonsense."""
    return int(header) if header.strip().isdigit() else 0


def _read_until(response: http.client.HTTPResponse, limit: int, deadline: float, timed_out: FetchFailed) -> bytes:
    """At most `limit` bytes of the body, giving up at `deadline`."""
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        if time.monotonic() > deadline:
            raise timed_out
        chunk = response.read1(min(CHUNK_BYTES, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
