"""Shared fixtures: the real model loaded once per session, small real indexes, a live server."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest

from embeddings.build import build_index
from embeddings.encoder import Encoder, TextEncoder, question_encoder
from qa.answer import Answerer
from qa.ranking import FusionWeights
from qa.retrieve import Retriever

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_FILE = SEEDS / "000_b2141a6b3a7ab43c.txt"
ARTIFACTS = ROOT / "artifacts"  # ignored by git: screenshots and other test output


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
