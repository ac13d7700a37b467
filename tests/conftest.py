"""Shared fixtures: the real model loaded once per session, small real indexes, a live server."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

import numpy as np
import pytest

from embeddings.build import BuildReport, build_index
from embeddings.cluster import RayMissing, import_ray, ray_cluster
from embeddings.encoder import Encoder, ParagraphEncoder, TextEncoder, question_encoder
from qa.answer import Answerer
from qa.ranking import FusionWeights
from qa.retrieve import Retriever

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_FILE = SEEDS / "000_b2141a6b3a7ab43c.txt"
ARTIFACTS = ROOT / "artifacts"  # ignored by git: screenshots and other test output

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "::"}


def is_loopback(address: object) -> bool:
    if isinstance(address, str):  # a Unix socket path
        return True
    host = str(address[0])
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def refuse_connections_beyond_loopback(event: str, args: tuple) -> None:
    """The tests run offline: a connection to another host fails the test that tries it."""
    if event == "socket.connect" and not is_loopback(args[1]):
        raise ConnectionRefusedError(f"tests stay on this machine: a connection to {args[1]} was refused")


sys.addaudithook(refuse_connections_beyond_loopback)

SEED_QUESTIONS = [  # on the seed and SECOND_ARTICLE together
    "Which Al Jazeera correspondent commented on China's stance?",
    "When did the harbour bridge reopen?",
    "What did the engineers replace?",
]
SECOND_ARTICLE = """Harbour bridge reopens after repairs

The harbour bridge reopened to traffic on Tuesday after eight months of repairs to its steel cables.

Engineers replaced 140 corroded cable strands and repainted the main span.

The ferry service that replaced the crossing will end on Friday.
"""


def loopback_only() -> bool:
    """True inside a network namespace with no interface but loopback (`unshare -n`)."""
    return {name for _, name in socket.if_nameindex()} <= {"lo"}


def ray_installed() -> bool:
    try:
        import_ray()
    except RayMissing:
        return False
    return True


# Ray reaches for outside hosts, so its tests run only inside a loopback-only network namespace.
needs_ray = pytest.mark.skipif(
    not (ray_installed() and loopback_only()),
    reason="Ray runs only when installed and inside a loopback-only network namespace, as scripts/test.sh runs the"
    " tests (unshare -n)",
)


@pytest.fixture(scope="session")
def ray_local() -> Iterator[None]:
    """One local Ray cluster for every test that needs one: a process that starts Ray again after
    shutting it down finds its shipped code gone (Ray remembers the upload, the new cluster lacks it)."""
    with ray_cluster("local", cpus=2):
        yield


TOWNS = ["Arlow", "Brent", "Calder", "Dunmore", "Elsby", "Fenwick", "Garth", "Holm", "Ivel", "Jarrow"]


def town_article(town: str) -> str:
    """A small article of three paragraphs about `town`, unlike the seed and each other."""
    return (
        f"{town} opens a new library\n\n"
        f"The town of {town} opened a public library on its market square this week.\n\n"
        f"The {town} library lends books, maps and old newspapers about the river valley.\n\n"
        f"Volunteers in {town} will run reading hours for children every Saturday morning.\n"
    )


@dataclass
class StandInEncoder:
    """Words hashed into a unit vector: deterministic, instant, no model to load.

    For tests of the code around the model (the build's bookkeeping, segments, masks, the
    store) where any encoder that puts texts sharing words close together will do; never for
    what the model itself does. It meets `embeddings.encoder.ParagraphEncoder`.
    """

    model_name: str = "stand-in-word-hashing"
    dimension: int = 256
    max_pieces: int = 254
    path: Path = ROOT / "tests"

    def load(self) -> None:
        """Nothing to load."""

    def count_pieces(self, text: str) -> int:
        return len(text.split())

    def encode_with_sentences(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]) -> np.ndarray:
        """Each text's vector, then its spans' (each span's words hashed on their own)."""
        pieces = [
            piece
            for text, text_spans in zip(texts, spans, strict=True)
            for piece in (text, *(text[a:b] for a, b in text_spans))
        ]
        return self.encode(pieces)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]{3,}", text.lower()):
                vectors[row, zlib.crc32(word.encode()) % self.dimension] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-9)


@pytest.fixture(scope="session")
def stand_in() -> StandInEncoder:
    return StandInEncoder()


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    encoder = Encoder()
    encoder.load()  # once, here, for every test in the session
    return encoder


@pytest.fixture(scope="session", name="question_encoder")
def shipped_question_encoder() -> TextEncoder:
    """The encoder the chat uses for questions, loaded once."""
    encoder = question_encoder()
    encoder.load()
    return encoder


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder) -> Path:
    """An index of the seed article, built once through the real build, recording the weights as the app does."""
    index_dir = tmp_path_factory.mktemp("seed-index")
    build_index(
        SEEDS, index_dir, encoder=encoder, fusion=asdict(FusionWeights()), progress=False, log=lambda line: None
    )
    return index_dir


@pytest.fixture(scope="session")
def answerer(seed_index: Path, question_encoder: TextEncoder) -> Answerer:
    return Answerer(Retriever(seed_index, encoder=question_encoder))


@pytest.fixture
def articles_dir(tmp_path: Path) -> Path:
    """A fresh articles folder holding a copy of the seed."""
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(SEED_FILE, folder)
    return folder


def quiet_build(articles: Path | None, index: Path, encoder: ParagraphEncoder, **options) -> BuildReport:
    """The real build, without progress bars or log lines."""
    return build_index(articles, index, encoder=encoder, progress=False, log=lambda line: None, **options)


@contextmanager
def running_app(*args: str, wrapper: Sequence[str] = ()) -> Iterator[str]:
    """`python app.py ARGS` started as a user starts it, on a free port; yields its URL once it serves.

    `wrapper` runs before app.py in the same interpreter (e.g. tests/network_guard.py LOG).
    """
    port = free_port()
    command = [sys.executable, *wrapper, str(ROOT / "app.py"), *args, "--port", str(port)]
    app = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 240
        while True:
            assert app.poll() is None, app.stdout.read()
            try:
                urlopen(url, timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "the app did not start in time"
                time.sleep(0.5)
        yield url
    finally:
        app.terminate()
        app.wait(timeout=30)


@contextmanager
def mounted(*options: str) -> Iterator[None]:
    """Run `mount OPTIONS`, unmounting afterwards; mounting needs root, which CI has."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small or read-only disk needs root")
    subprocess.run(["mount", *options], check=True)
    try:
        yield
    finally:
        subprocess.run(["umount", "--lazy", options[-1]], check=True)  # open index files may still hold it


def ask_api(url: str, question: str) -> dict:
    """The JSON reply of the server at `url` to one question (`GET /api/ask`)."""
    with urlopen(url + "api/ask?" + urlencode({"q": question}), timeout=60) as reply:
        return json.loads(reply.read())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def chat_url(answerer: Answerer) -> Iterator[str]:
    """The real chat page over the seed index, served on a free loopback port."""
    from webui.server import serve

    server = serve(answerer, port=free_port(), block=False)
    yield server.url
    server.close()


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


AXE_SCRIPT = ROOT / ".cache" / "axe-core" / "axe.min.js"  # fetched from npm by scripts/test.sh


def accessibility_violations(page) -> list[dict]:
    """axe-core's violations on `page` as it is now: rule id, impact (minor to critical), help, where."""
    assert AXE_SCRIPT.exists(), f"{AXE_SCRIPT} is missing: scripts/test.sh fetches axe-core from npm"
    # Audit the page at rest: not half-way through an update, when Gradio fades what it is redrawing,
    # nor while what it redrew fades back in (a 0.2 s opacity transition after `.pending` goes).
    page.wait_for_function(
        "() => !document.querySelector('.pending, .translucent, .generating')"
        " && document.getAnimations().every(a => a.playState !== 'running'"
        " || a.effect.getTiming().iterations === Infinity)"
    )
    page.add_script_tag(path=str(AXE_SCRIPT))
    violations = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "at": [n["target"] for n in v["nodes"]][:5]}
        for v in violations
    ]
