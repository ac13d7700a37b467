"""Time from Enter to a visible answer in the chat, in a real browser: `python benchmarks/chat_latency.py`.

The chat over the seed article is served on loopback (the page, Gradio's queue and event stream,
the answer path with its reader), and Debian's Chromium, driven by Playwright, types each
question and presses Enter; the time runs until the answer's message is on the screen. Questions
are the seed's from `benchmarks/data/followups.jsonl`, asked in turn, a new chat every five.
Prints the median and the 90th percentile; the first answer (warming up) is left out.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings.build import build_index
from embeddings.encoder import Encoder
from qa.answer import Answerer
from qa.datasets import CACHE, read_jsonl
from qa.retrieve import Retriever
from tests.conftest import CHROMIUM_FLAGS, free_port
from webui.server import serve

ROOT = Path(__file__).resolve().parent.parent
PAIRS = ROOT / "benchmarks" / "data" / "followups.jsonl"
PER_CHAT = 5


def seed_questions() -> list[str]:
    pairs = read_jsonl(PAIRS)
    return [q for p in pairs if not p["article"].startswith("squad") for q in (p["first"], p["follow_up"])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=40, help="answers timed (after one to warm up)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    index = CACHE / "seed-index"
    build_index(ROOT / "seeds", index, encoder=Encoder(), progress=False, log=lambda line: None)
    server = serve(Answerer(Retriever(index)), port=free_port(), block=False)
    questions = seed_questions()
    times: list[float] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(server.url)
            page.wait_for_selector("#chat .welcome", timeout=60_000)
            box = page.locator("#question textarea")
            for asked in range(args.questions + 1):
                if asked % PER_CHAT == 0 and asked:
                    page.locator("#new-chat").click()
                    page.wait_for_selector("#chat .welcome", timeout=60_000)
                shown = page.locator("#chat .message.bot").count()
                box.fill(questions[asked % len(questions)])
                started = time.perf_counter()
                box.press("Enter")
                page.wait_for_function(
                    "n => document.querySelectorAll('#chat .message.bot').length > n", arg=shown, polling="raf"
                )
                if asked:  # the first answer warms the page and the server up
                    times.append(1000 * (time.perf_counter() - started))
            browser.close()
    finally:
        server.close()
    p90 = statistics.quantiles(times, n=10)[-1]
    print(f"Enter to a visible answer, {len(times)} questions on the seed: median {statistics.median(times):.0f} ms,"
          f" 90th percentile {p90:.0f} ms, slowest {max(times):.0f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
