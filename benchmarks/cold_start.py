"""Cold start: from `python app.py` to the first answer, and one `python -m qa.ask` call.

    python benchmarks/cold_start.py [--articles seeds] [--runs 3]

Each run starts a fresh process. "first start" builds the index from nothing (model load and
embedding included); "restart" finds it up to date; the app is timed until `/api/ask` returns
its first answer. `qa.ask` is timed from process start to exit, over the same index.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Where did Xi and Putin meet?"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def app_to_first_answer(articles: Path, index: Path) -> float:
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "app.py", "--articles", str(articles), "--index", str(index), "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while True:
            try:
                with urlopen(f"http://127.0.0.1:{port}/api/ask?{urlencode({'q': QUESTION})}", timeout=5) as reply:
                    assert json.load(reply)["passages"]
                return time.perf_counter() - started
            except OSError:
                if server.poll() is not None or time.perf_counter() - started > 600:
                    raise SystemExit("the app did not start") from None
                time.sleep(0.05)
    finally:
        server.terminate()
        server.wait(timeout=60)


def one_ask(index: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "qa.ask", "--index", str(index), QUESTION],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=ROOT / "seeds")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"app, first start (builds the index)": [], "app, restart": [], "qa.ask": []}
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as work:
            index = Path(work) / "index"
            times["app, first start (builds the index)"].append(app_to_first_answer(args.articles.resolve(), index))
            times["app, restart"].append(app_to_first_answer(args.articles.resolve(), index))
            times["qa.ask"].append(one_ask(index))
    print(f"{args.articles}: median of {args.runs} runs, each a fresh process")
    print("| to the first answer | median s | min s | max s |")
    print("| --- | --- | --- | --- |")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.1f} | {min(values):.1f} | {max(values):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
